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
		// Wrong fix: the upload takes ~8 s and the export ~8 s, so give every
		// request 10 s. Slowloris clients now get 10 s too (ReadHeaderTimeout
		// is zero, so the request head deadline is ReadTimeout), and so do
		// slow bodies on every route.
		ReadTimeout:  10 * time.Second,
		WriteTimeout: 10 * time.Second,
	}
	log.Printf("listening on %s", addr)
	log.Fatal(srv.ListenAndServe())
}
