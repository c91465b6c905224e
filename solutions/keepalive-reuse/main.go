// Command inventory is a small inventory API that runs behind a load balancer.
//
// Solution of the keepalive-reuse lab: API responses no longer force the connection
// closed, and idle keep-alive connections are kept longer than the load balancer
// keeps them, so the balancer, not the server, closes an idle connection.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
	"strconv"
	"time"
)

type item struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Stock int    `json:"stock"`
}

var items = []item{
	{1, "keyboard", 41},
	{2, "mouse", 120},
	{3, "monitor", 7},
}

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}

	api := http.NewServeMux()
	api.HandleFunc("GET /api/items", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, items)
	})
	api.HandleFunc("GET /api/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.Atoi(r.PathValue("id"))
		for _, it := range items {
			if it.ID == id {
				writeJSON(w, it)
				return
			}
		}
		http.NotFound(w, r)
	})

	mux := http.NewServeMux()
	// The load balancer's health check.
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.Handle("/api/", api)

	srv := &http.Server{
		Addr:              addr,
		Handler:           mux,
		ReadHeaderTimeout: 2 * time.Second,
		ReadTimeout:       5 * time.Second,
		WriteTimeout:      10 * time.Second,
		// Longer than the load balancer's idle timeout (5 s), with a wide margin:
		// the side that closes an idle connection must be the one that would
		// otherwise write the next request on it. An idle connection costs a
		// goroutine and a few KiB of buffers, nothing more. (Left at zero, this
		// would fall back to ReadTimeout, 5 s: the same as the balancer's.)
		IdleTimeout: 120 * time.Second,
	}
	log.Printf("listening on %s", addr)
	log.Fatal(srv.ListenAndServe())
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
