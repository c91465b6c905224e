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
		// "Slowloris fix": every request must be read within 5 s and answered
		// within 5 s. These deadlines hold for every route, on every request.
		ReadTimeout:  5 * time.Second,
		WriteTimeout: 5 * time.Second,
	}
	log.Printf("listening on %s", addr)
	log.Fatal(srv.ListenAndServe())
}
