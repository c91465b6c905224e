// Command orders is the orders service of a small shop: it lists orders, shows one,
// and creates new ones after the inventory service (UPSTREAM) has reserved the stock.
//
// This is the solution of the observability lab: every request is counted and timed by
// route template, method and status (metrics.go), and the caller's trace continues into the
// inventory service (trace.go).
package main

import (
	"log"
	"net/http"
	"os"
	"time"
)

func main() {
	addr := getenv("ADDR", "127.0.0.1:8080")
	upstream := getenv("UPSTREAM", "http://127.0.0.1:9090")
	startAdmin()

	store := newStore()
	inventory := newInventory(upstream)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders", store.list)
	mux.HandleFunc("GET /orders/{id}", store.get)
	mux.HandleFunc("POST /orders", createOrder(store, inventory))

	srv := &http.Server{
		Addr:              addr,
		Handler:           traced(instrument(mux)),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	log.Printf("orders listening on %s, inventory at %s", addr, upstream)
	log.Fatal(srv.ListenAndServe())
}

func getenv(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
