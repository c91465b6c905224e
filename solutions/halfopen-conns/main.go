// Command pushd is a push gateway for mobile apps. An app waits for its next
// notification with a long poll:
//
//	GET  /subscribe?channel=user-42    waits until a message is published on user-42
//	POST /publish?channel=user-42      publishes the request body to every waiting subscriber
//	GET  /stats                        {"subscribers": N}
//
// It is the solution of the halfopen-conns lab: TCP keep-alive probes find the phones
// that dropped off the network without closing their connections.
package main

import (
	"context"
	"log"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	addr := getenv("ADDR", "127.0.0.1:8080")
	startAdmin()

	b := newBroker()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /subscribe", b.handleSubscribe)
	mux.HandleFunc("POST /publish", b.handlePublish)
	mux.HandleFunc("GET /stats", b.handleStats)

	// A phone that drops off the network sends no FIN: only the server can find out that
	// it is gone, by probing it. The kernel sends a keep-alive probe after Idle without
	// traffic, then one every Interval; after Count unanswered probes the connection is
	// reset, net/http's background read fails, and r.Context() is cancelled. A live phone's
	// kernel answers the probes without waking the app: 2 s + 3 × 1 s frees a vanished
	// peer in about 5 s. (Go's default, 15 s + 9 × 15 s, takes 150 s.)
	lc := net.ListenConfig{KeepAliveConfig: net.KeepAliveConfig{
		Enable:   true,
		Idle:     2 * time.Second,
		Interval: time.Second,
		Count:    3,
	}}
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		log.Fatal(err)
	}

	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	log.Printf("listening on %s", ln.Addr())
	log.Fatal(srv.Serve(ln))
}

func getenv(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
