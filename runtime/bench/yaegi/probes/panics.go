//go:build ignore

// Probe: do panics and recover behave as in Go? Recover in a deferred call of the panicking
// goroutine, named results set from the deferred call, runtime.Error values and their
// messages (the panic-recovery lesson quotes them), panic(nil), re-panics, and net/http's own
// recovery of a handler's panic (logged, connection dropped, server alive).
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"
)

var errBoom = errors.New("boom")

func namedResult() (n int) {
	defer func() {
		if recover() != nil {
			n = -1
		}
	}()
	panic("x")
}

func catch(f func()) (v any) {
	defer func() { v = recover() }()
	f()
	return nil
}

// helperRecover is not called directly by the deferred call: Go's recover returns nil there.
func helperRecover() any { return recover() }

func indirect() (v any) {
	defer func() {
		v = helperRecover()
		recover() // stop the panic either way
	}()
	panic("indirect")
}

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func main() {
	fmt.Printf("PROBE recover.named_result %d\n", namedResult())

	v := catch(func() {
		var m map[string]int
		m["a"] = 1
	})
	_, isRuntimeErr := v.(runtime.Error)
	fmt.Printf("PROBE nil_map.runtime_error %v\n", isRuntimeErr)
	fmt.Printf("PROBE nil_map.message %q\n", fmt.Sprint(v))

	v = catch(func() {
		s := []int{1}
		i := 1
		_ = s[i]
	})
	fmt.Printf("PROBE index.message %q\n", fmt.Sprint(v))

	v = catch(func() {
		var p *struct{ X int }
		_ = p.X
	})
	fmt.Printf("PROBE nil_deref.message %q\n", fmt.Sprint(v))

	v = catch(func() { panic(fmt.Errorf("wrapped: %w", errBoom)) })
	err, _ := v.(error)
	fmt.Printf("PROBE panic_error.errors_is %v\n", errors.Is(err, errBoom))

	v = catch(func() { panic(nil) })
	_, isPanicNil := v.(*runtime.PanicNilError)
	fmt.Printf("PROBE panic_nil.PanicNilError %v\n", isPanicNil)

	v = catch(func() {
		defer func() { panic(fmt.Sprint("second after ", recover())) }()
		panic("first")
	})
	fmt.Printf("PROBE repanic.value %q\n", fmt.Sprint(v))

	fmt.Printf("PROBE recover.indirect_is_nil %v\n", indirect() == nil)

	// A handler's panic: net/http recovers it, logs it, drops the connection, keeps serving.
	logs := &lockedBuf{}
	mux := http.NewServeMux()
	mux.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) {
		var orders []string
		_ = orders[1]
	})
	mux.HandleFunc("/abort", func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) })
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := &http.Server{Handler: mux, ErrorLog: log.New(logs, "", 0)}
	go srv.Serve(ln)
	base := "http://" + ln.Addr().String()
	client := &http.Client{Timeout: 3 * time.Second}
	_, err = client.Get(base + "/panic")
	fmt.Printf("PROBE handler_panic.client_error %v\n", err != nil)
	_, _ = client.Get(base + "/abort")
	time.Sleep(100 * time.Millisecond)
	l := logs.String()
	fmt.Printf("PROBE handler_panic.logged %v\n", strings.Contains(l, "http: panic serving") && strings.Contains(l, "index out of range [1] with length 0"))
	fmt.Printf("PROBE handler_panic.log_names_handler %v\n", strings.Contains(l, "main.main.func"))
	fmt.Printf("PROBE abort_handler.logged %v\n", strings.Count(l, "http: panic serving") > 1)
	resp, err := client.Get(base + "/ok")
	alive := err == nil && resp.StatusCode == 200
	if resp != nil {
		resp.Body.Close()
	}
	fmt.Printf("PROBE handler_panic.server_alive %v\n", alive)
}
