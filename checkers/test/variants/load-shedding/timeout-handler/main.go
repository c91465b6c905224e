// Variant (wrong fix): http.TimeoutHandler answers 503 (with Retry-After) when a request has
// run for 100 ms. It answers fast, but the handler goroutine behind it keeps waiting for a
// worker and then computes the quote for a request that was already answered: the engine's
// time goes to abandoned work, goodput collapses and the backlog outlives the spike.
package main

import (
	"encoding/json"
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

	engine := NewEngine()
	quote := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sku := r.URL.Query().Get("sku")
		if sku == "" {
			http.Error(w, "missing sku", http.StatusBadRequest)
			return
		}
		q := engine.Quote(sku)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(q)
	})
	limited := http.TimeoutHandler(quote, 100*time.Millisecond, "overloaded, retry later\n")

	mux := http.NewServeMux()
	mux.HandleFunc("GET /quote", func(w http.ResponseWriter, r *http.Request) {
		// TimeoutHandler's own 503 carries the headers of the outer ResponseWriter.
		w.Header().Set("Retry-After", "1")
		limited.ServeHTTP(w, r)
	})

	srv := &http.Server{
		Addr:              addr,
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	log.Printf("listening on %s", addr)
	log.Fatal(srv.ListenAndServe())
}
