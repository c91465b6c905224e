// Command quotes is a small pricing API: GET /quote?sku=... answers the price that the
// pricing engine (engine.go) computes, Workers quotes at a time.
//
// It is the starter of the load-shedding lab. It works at normal load. At three times its
// capacity it still accepts every request and queues it behind the engine: latency climbs
// to the clients' timeout, the engine keeps computing quotes for clients that have already
// gone, and after the spike the backlog takes seconds to drain. Read README.md.
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
	mux := http.NewServeMux()
	mux.HandleFunc("GET /quote", func(w http.ResponseWriter, r *http.Request) {
		sku := r.URL.Query().Get("sku")
		if sku == "" {
			http.Error(w, "missing sku", http.StatusBadRequest)
			return
		}
		// Every request waits here for a worker, however many are already waiting.
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
	log.Printf("listening on %s (engine: %d workers, %v per quote)", addr, Workers, ServiceTime)
	log.Fatal(srv.ListenAndServe())
}
