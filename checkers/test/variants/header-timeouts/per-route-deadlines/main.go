// Command docs is a small document service: notes, file uploads and a CSV export.
//
// It is the starter of the header-timeouts lab. Someone protected it against
// slowloris with two global timeouts, and since then slow uploads fail and long
// exports arrive cut short. Read README.md.
package main

import (
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

	srv := &http.Server{
		Addr:    addr,
		Handler: routes(),
		// Only the request head and idle connections are bounded here; every
		// route sets the deadlines for its own body and response (routes.go).
		ReadHeaderTimeout: 2 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	log.Printf("listening on %s", addr)
	log.Fatal(srv.ListenAndServe())
}
