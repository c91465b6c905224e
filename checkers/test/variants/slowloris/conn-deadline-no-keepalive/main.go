// Variant conn-deadline-no-keepalive (a correct alternative, with a cost): a read deadline
// set when the connection is accepted, and keep-alives off.
//
// Every connection carries exactly one request, so every request head is the first one and
// the deadline set in ConnContext bounds it. The price: a new TCP connection per request.
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
	srv.SetKeepAlivesEnabled(false)
	log.Printf("listening on %s", addr)
	log.Fatal(srv.ListenAndServe())
}
