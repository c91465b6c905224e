// Command docs is a small document service: notes, file uploads and a CSV export.
//
// Solution of the header-timeouts lab: tight deadlines for every request by
// default, a short deadline for the request head, and longer deadlines only on
// the two routes that need them (see upload and export in routes.go).
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
		// The request head must arrive within 2 s of the connection being accepted
		// (or of the first byte of the next request on a keep-alive connection).
		// This is what stops slowloris; it does not depend on ReadTimeout.
		ReadHeaderTimeout: 2 * time.Second,
		// The defaults for every route: the whole request, body included, within
		// 5 s; the response within 5 s of the head being read. A route that needs
		// more time says so itself with http.ResponseController.
		ReadTimeout:  5 * time.Second,
		WriteTimeout: 5 * time.Second,
		// Without it, IdleTimeout falls back to ReadTimeout (5 s).
		IdleTimeout: 60 * time.Second,
	}
	log.Printf("listening on %s", addr)
	log.Fatal(srv.ListenAndServe())
}
