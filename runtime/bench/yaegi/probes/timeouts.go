//go:build ignore

// Probe: are http.Server timeouts and request contexts real? ReadHeaderTimeout closes a
// slow-header connection on time, no timeout keeps it open, a client that goes away cancels
// the handler's context, WriteTimeout cuts a slow response.
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

func serve(s *http.Server) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go s.Serve(ln)
	return ln.Addr().String()
}

// closedAfter sends half a request head and returns how long until the server closes the
// connection, or -1 if it is still open after limit.
func closedAfter(addr string, limit time.Duration) time.Duration {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	t0 := time.Now()
	c.Write([]byte("GET / HTTP/1.1\r\nHost: probe\r\n"))
	c.SetReadDeadline(time.Now().Add(limit))
	_, err = io.ReadAll(c)
	if err != nil { // (a type assertion on a nil error crashes yaegi: lang/nil_type_assert.go)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return -1
		}
	}
	return time.Since(t0)
}

func ms(d time.Duration) string {
	if d < 0 {
		return "still-open"
	}
	return fmt.Sprintf("%d", (d+50*time.Millisecond)/(100*time.Millisecond)*100) // rounded to 100 ms
}

func main() {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	a := serve(&http.Server{Handler: ok, ReadHeaderTimeout: 500 * time.Millisecond})
	fmt.Printf("PROBE read_header_timeout_500ms.closed_after_ms %s\n", ms(closedAfter(a, 3*time.Second)))
	b := serve(&http.Server{Handler: ok})
	fmt.Printf("PROBE no_timeout.after_1500ms %s\n", ms(closedAfter(b, 1500*time.Millisecond)))

	cancelled := make(chan time.Duration, 1)
	c := serve(&http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		select {
		case <-r.Context().Done():
			cancelled <- time.Since(t0)
		case <-time.After(3 * time.Second):
			cancelled <- -1
		}
	})})
	conn, err := net.Dial("tcp", c)
	if err != nil {
		panic(err)
	}
	conn.Write([]byte("GET /wait HTTP/1.1\r\nHost: probe\r\n\r\n"))
	time.Sleep(300 * time.Millisecond)
	conn.Close()
	d := <-cancelled
	fmt.Printf("PROBE client_close.ctx_cancelled %v\n", d >= 0 && d < 1500*time.Millisecond)

	wt := serve(&http.Server{WriteTimeout: 400 * time.Millisecond, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 10; i++ {
			fmt.Fprintf(w, "chunk %d\n", i)
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond)
		}
	})})
	client := &http.Client{Timeout: 5 * time.Second}
	t0 := time.Now()
	resp, err := client.Get("http://" + wt + "/slow")
	n := 0
	if err == nil {
		body, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		n = len(body)
		err = rerr
	}
	fmt.Printf("PROBE write_timeout_400ms.cut %v\n", err != nil || n < 80)
	fmt.Printf("PROBE write_timeout_400ms.ended_ms %s\n", ms(time.Since(t0)))
}
