// Command catalog serves a tiny product catalogue.
//
// It is the starter of the slowloris lab: it works, and it falls over as soon as a
// handful of clients send their request headers slowly. Read README.md.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
)

type product struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Price int    `json:"price_cents"`
}

var catalogue = []product{
	{1, "keyboard", 4900},
	{2, "mouse", 1900},
	{3, "monitor", 18900},
}

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	startAdmin()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("catalog: GET /products\n"))
	})
	mux.HandleFunc("GET /products", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(catalogue)
	})

	log.Printf("listening on %s", addr)
	// No timeouts at all: a client that never finishes its headers keeps its
	// connection, its goroutine and its file descriptor for ever.
	log.Fatal(http.ListenAndServe(addr, mux))
}
