// Command upstream is a stand-in for the ingest service, to try the gateway by hand:
//
//	go run ./upstream            # listens on UPSTREAM_ADDR, default 127.0.0.1:9090
//
// POST /ingest answers 202 with a small JSON receipt. Once a second, while traffic
// flows, it logs how many TCP connections it has accepted and how many events it has
// received (GET /stats says the same): a gateway that reuses its connections opens a
// few dozen, one that does not opens one per event. The checker runs its own ingest
// service with the same behaviour.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"
)

func main() {
	addr := os.Getenv("UPSTREAM_ADDR")
	if addr == "" {
		addr = "127.0.0.1:9090"
	}
	var conns, events atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /ingest", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		n := events.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, "{\"id\":\"evt-%06d\",\"status\":\"queued\"}\n", n)
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]int64{"connections_accepted": conns.Load(), "events": events.Load()})
	})
	srv := &http.Server{
		Addr:              addr,
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       120 * time.Second,
		ConnState: func(c net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		},
	}
	go func() {
		var last int64 = -1
		for range time.Tick(time.Second) {
			if n := events.Load(); n != last {
				last = n
				log.Printf("ingest: %d connections accepted, %d events", conns.Load(), n)
			}
		}
	}()
	log.Printf("ingest service listening on %s", addr)
	log.Fatal(srv.ListenAndServe())
}
