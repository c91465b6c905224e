// Variant idle-timeout-only (a wrong fix): only IdleTimeout is set.
//
// IdleTimeout bounds the wait between two requests on a kept-alive connection. The first
// request head of a connection is bounded by readHeaderTimeout(), which is ReadHeaderTimeout,
// else ReadTimeout: both zero here, so a slow client still holds its connection for ever.
package main

import (
	"encoding/json"
	"log"
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
		Addr:           addr,
		Handler:        mux,
		IdleTimeout:    5 * time.Second,
		MaxHeaderBytes: 64 << 10,
	}
	log.Printf("listening on %s", addr)
	log.Fatal(srv.ListenAndServe())
}
