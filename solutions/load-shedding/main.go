// Command quotes is a small pricing API: GET /quote?sku=... answers the price that the
// pricing engine (engine.go) computes, Workers quotes at a time.
//
// Solution of the load-shedding lab: admission control in front of the engine. At most
// Workers requests run, at most MaxQueue more wait for a worker, and every other request
// is answered at once with 503 and Retry-After. The short queue absorbs bursts (a handful of
// requests arriving together at normal load are all served); the bound keeps it short, so
// under overload an admitted request waits at most MaxQueue / capacity, the engine works
// only for clients that are still there, and nothing is left over when the spike ends.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
	"time"
)

// MaxQueue is how many requests may wait for a worker. By Little's law a queue of n in front
// of a server that completes 200 requests per second adds at most n / 200 s: 4 is 20 ms.
const MaxQueue = Workers

// shed admits at most workers running requests and queue waiting ones into next; any other
// request is answered 503 Service Unavailable with Retry-After at once, without waiting.
func shed(workers, queue int, next http.Handler) http.Handler {
	admitted := make(chan struct{}, workers+queue) // running or waiting: the bound
	running := make(chan struct{}, workers)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Try-acquire: select with a default case never blocks.
		select {
		case admitted <- struct{}{}:
			defer func() { <-admitted }()
		default:
			w.Header().Set("Retry-After", "1")
			http.Error(w, "overloaded, retry later", http.StatusServiceUnavailable)
			return
		}
		// Admitted: wait for a worker, unless the client gives up first.
		select {
		case running <- struct{}{}:
			defer func() { <-running }()
		case <-r.Context().Done():
			return
		}
		next.ServeHTTP(w, r)
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
		// shed holds one of Workers slots for us: this call does not wait.
		q := engine.Quote(sku)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(q)
	})

	mux := http.NewServeMux()
	mux.Handle("GET /quote", shed(Workers, MaxQueue, quote))

	srv := &http.Server{
		Addr:              addr,
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	log.Printf("listening on %s (engine: %d workers, %v per quote; queue bound %d)", addr, Workers, ServiceTime, MaxQueue)
	log.Fatal(srv.ListenAndServe())
}
