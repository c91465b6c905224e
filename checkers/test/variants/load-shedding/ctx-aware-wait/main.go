// Variant (wrong fix): a semaphore of Workers slots in front of the engine, and a request
// waits for a slot until its client goes away (select on r.Context().Done()). No work is
// wasted on abandoned requests and the server recovers at once, but it still never says no:
// every request waits in the queue, the head of the queue is always about as old as the
// clients' patience, and the answers arrive just after the clients have given up.
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
	slots := make(chan struct{}, Workers)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /quote", func(w http.ResponseWriter, r *http.Request) {
		sku := r.URL.Query().Get("sku")
		if sku == "" {
			http.Error(w, "missing sku", http.StatusBadRequest)
			return
		}
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
		case <-r.Context().Done():
			return // the client left: do not compute a quote nobody will read
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
