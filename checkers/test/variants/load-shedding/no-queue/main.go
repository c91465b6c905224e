// Variant (wrong fix): a limit of Workers requests with no queue at all: a request that finds
// every worker busy is answered 503 at once (try-acquire, select with a default case). Under
// overload it does everything right. But it cannot absorb a burst: 8 requests arriving
// together at half the capacity get 4 quotes and 4 rejections. A pure loss system rejects
// even at normal load (Erlang's loss formula: 4 workers at 50% load with random arrivals
// lose ~10% of requests).
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
	"time"
)

// shed lets at most limit requests run next at the same time. A request that finds limit
// requests running is not queued: it is answered 503 Service Unavailable with Retry-After
// at once. The try-acquire is a select with a default case on a buffered channel.
func shed(limit int, retryAfter string, next http.Handler) http.Handler {
	slots := make(chan struct{}, limit)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
			next.ServeHTTP(w, r)
		default:
			w.Header().Set("Retry-After", retryAfter)
			http.Error(w, "overloaded, retry later", http.StatusServiceUnavailable)
		}
	})
}

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
		// shed guarantees a free worker here: this call does not wait.
		q := engine.Quote(sku)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(q)
	})

	mux := http.NewServeMux()
	// As many requests in the engine as it has workers, and no queue in front of it.
	mux.Handle("GET /quote", shed(Workers, "1", quote))

	srv := &http.Server{
		Addr:              addr,
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	log.Printf("listening on %s (engine: %d workers, %v per quote; at most %d requests admitted)", addr, Workers, ServiceTime, Workers)
	log.Fatal(srv.ListenAndServe())
}
