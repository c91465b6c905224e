// Variant conn-deadline (a wrong fix): a read deadline set once, when the connection is accepted.
//
// It bounds the first request head. But once a head has been read, conn.readRequest sets the
// read deadline to the whole-request deadline (zero: no ReadTimeout), and between requests
// conn.serve sets it from IdleTimeout and readHeaderTimeout() (zero too): the deadline set
// here is cleared, and the second request head on a kept-alive connection has no bound.
package main

import (
	"context"
	"encoding/json"
	"log"
	"net"
	"net/http"
	"os"
	"time"
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

	srv := &http.Server{
		Addr:    addr,
		Handler: mux,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			return ctx
		},
		MaxHeaderBytes: 64 << 10,
	}
	log.Printf("listening on %s", addr)
	log.Fatal(srv.ListenAndServe())
}
