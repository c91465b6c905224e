// Variant (another correct fix): a semaphore of Workers slots, and a request may wait for one
// at most 50 ms (or until its client leaves); after that it is answered 503 with Retry-After.
// The wait budget bounds the queue by time instead of by length: it absorbs bursts, adds at
// most 50 ms to an admitted request, and waiting requests never outnumber 50 ms of arrivals.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
	"time"
)

const maxWait = 50 * time.Millisecond

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	startAdmin()

	engine := NewEngine()
	slots := make(chan struct{}, Workers)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /quote", func(w http.ResponseWriter, r *http.Request) {
		sku := r.URL.Query().Get("sku")
		if sku == "" {
			http.Error(w, "missing sku", http.StatusBadRequest)
			return
		}
		wait := time.NewTimer(maxWait)
		defer wait.Stop()
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
		case <-wait.C:
			w.Header().Set("Retry-After", "1")
			http.Error(w, "overloaded, retry later", http.StatusServiceUnavailable)
			return
		case <-r.Context().Done():
			return
		}
		q := engine.Quote(sku)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(q)
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
