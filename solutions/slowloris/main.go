// Command catalog serves a tiny product catalogue.
//
// Solution of the slowloris lab: the server bounds how long a client may take to send
// its request headers, how long an idle keep-alive connection may stay, and how large
// the headers may be.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
	"time"
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

	srv := &http.Server{
		Addr:    addr,
		Handler: mux,
		// The whole request head must arrive within 2 s of the connection being
		// accepted (or of the previous response, on a keep-alive connection). It is
		// an absolute deadline: dribbling one byte at a time does not extend it.
		ReadHeaderTimeout: 2 * time.Second,
		// An idle keep-alive connection is closed after 60 s. Without it, IdleTimeout
		// falls back to ReadTimeout, and with both zero an idle client keeps its
		// connection for ever.
		IdleTimeout: 60 * time.Second,
		// Request heads larger than 64 KiB get 431 Request Header Fields Too Large
		// (the default is 1 MiB).
		MaxHeaderBytes: 64 << 10,
	}
	log.Printf("listening on %s", addr)
	log.Fatal(srv.ListenAndServe())
}
