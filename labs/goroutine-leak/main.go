// Command quote serves price quotes for a small hardware shop:
//
//	GET /quote?sku=keyboard&qty=3
//
// It is the starter of the goroutine-leak lab. Every quote needs a unit price from a
// slow pricing backend (pricing.go); the handler (quote.go) gives up after one second.
// Each request that times out, or that the client abandons, leaves one goroutine
// behind for ever. Read README.md.
package main

import (
	"log"
	"net/http"
	"os"
	"time"
)

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	startAdmin()

	qs := &quoteServer{pricing: newPricingClient(), timeout: time.Second}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("quote: GET /quote?sku=keyboard|mouse|monitor|gpu&qty=N\n"))
	})
	mux.HandleFunc("GET /quote", qs.handleQuote)

	srv := &http.Server{
		Addr:              addr,
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	log.Printf("listening on %s", addr)
	log.Fatal(srv.ListenAndServe())
}
