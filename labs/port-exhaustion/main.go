// Command relay is an event gateway. Clients send events:
//
//	POST /events   {"type":"signup","user":"ada"}
//
// and the gateway forwards each one to the ingest service (UPSTREAM, default
// http://127.0.0.1:9090) with POST /ingest. It answers 202 Accepted once the ingest
// service has accepted the event, and 502 Bad Gateway when it could not deliver it.
//
// It is the starter of the port-exhaustion lab. It works for a few hundred events and
// then every delivery fails with "connect: cannot assign requested address". The bug
// is in relay.go. Read README.md.
package main

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"time"
)

func main() {
	addr := getenv("ADDR", "127.0.0.1:8080")
	upstream := getenv("UPSTREAM", "http://127.0.0.1:9090")

	mux := http.NewServeMux()
	mux.HandleFunc("POST /events", func(w http.ResponseWriter, r *http.Request) {
		event, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "event too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "could not read the event", http.StatusBadRequest)
			return
		}
		status, err := forward(r.Context(), upstream+"/ingest", event)
		if err != nil {
			log.Printf("forward: %v", err)
			http.Error(w, "ingest service unreachable", http.StatusBadGateway)
			return
		}
		if status < 200 || status > 299 {
			http.Error(w, fmt.Sprintf("ingest service answered %d", status), http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, "accepted\n")
	})

	srv := &http.Server{
		Addr:              addr,
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	log.Printf("listening on %s, forwarding to %s", addr, upstream)
	log.Fatal(srv.ListenAndServe())
}

func getenv(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
