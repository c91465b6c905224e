// Variant (wrong fix): a limit on requests in flight, answered 503 with Retry-After, sized to
// what the server can hold (1000 goroutines are cheap) rather than to what it can serve. By
// Little's law, 1000 requests in front of an engine that serves 200 per second wait 5 s: the
// limit is only reached after the queue is already seconds long, every admitted request
// waits past its client's timeout, and the queue is still there after the spike.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
	"sync/atomic"
	"time"
)

const maxInFlight = 1000

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	startAdmin()

	engine := NewEngine()
	var inFlight atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /quote", func(w http.ResponseWriter, r *http.Request) {
		if inFlight.Add(1) > maxInFlight {
			inFlight.Add(-1)
			w.Header().Set("Retry-After", "1")
			http.Error(w, "overloaded, retry later", http.StatusServiceUnavailable)
			return
		}
		defer inFlight.Add(-1)
		sku := r.URL.Query().Get("sku")
		if sku == "" {
			http.Error(w, "missing sku", http.StatusBadRequest)
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
