// Variant limit-listener (a wrong fix): at most 100 connections at a time, no timeouts.
//
// The cap keeps the server below its open-files limit, so accept never fails. But nothing
// closes a slow connection: the slow clients take all 100 slots, and every other client,
// the real ones included, waits in the kernel's accept queue. LimitListener in
// golang.org/x/net/netutil does the same; it is not in the standard library, hence this
// small copy.
package main

import (
	"encoding/json"
	"log"
	"net"
	"net/http"
	"os"
	"sync"
)

type product struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Price int    `json:"price_cents"`
}

var catalogue = []product{
	{1, "keyboard", 4900},
	{2, "mouse", 1900},
	{3, "monitor", 18900},
}

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	startAdmin()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("catalog: GET /products\n"))
	})
	mux.HandleFunc("GET /products", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(catalogue)
	})

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: mux, MaxHeaderBytes: 64 << 10}
	log.Printf("listening on %s", addr)
	log.Fatal(srv.Serve(limitListener(ln, 100)))
}

// limitListener accepts at most n connections at a time: Accept takes a slot first and
// blocks while all n are in use; closing a connection gives its slot back.
func limitListener(l net.Listener, n int) net.Listener {
	return &limited{Listener: l, slots: make(chan struct{}, n)}
}

type limited struct {
	net.Listener
	slots chan struct{}
}

func (l *limited) Accept() (net.Conn, error) {
	l.slots <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitedConn{Conn: c, release: func() { <-l.slots }}, nil
}

type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
