// Command inventory is a small inventory API that runs behind a load balancer.
//
// It is the starter of the keepalive-reuse lab: it answers every request, yet the
// load balancer in front of it opens a new connection for almost every request and
// reports failed requests on connections it reused. Read README.md.
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
	mux.Handle("/api/", spreadLoad(api))

	srv := &http.Server{
		Addr:              addr,
		Handler:           mux,
		ReadHeaderTimeout: 2 * time.Second,
		ReadTimeout:       5 * time.Second,
		WriteTimeout:      10 * time.Second,
		// Idle keep-alive connections only cost memory and file descriptors:
		// drop them after a second.
		IdleTimeout: 1 * time.Second,
	}
	log.Printf("listening on %s", addr)
	log.Fatal(srv.ListenAndServe())
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
