// Command pushd is a push gateway for mobile apps. An app waits for its next
// notification with a long poll:
//
//	GET  /subscribe?channel=user-42    waits until a message is published on user-42
//	POST /publish?channel=user-42      publishes the request body to every waiting subscriber
//	GET  /stats                        {"subscribers": N}
//
// It is the starter of the halfopen-conns lab. It works, until phones drop off the
// network without closing their connections: every one of them stays a subscriber, with
// its file descriptor and its goroutines, for ever. Read README.md.
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

	// TCP keep-alive probes are off: every probe wakes up the phone's radio, and an app
	// that leaves closes its connection anyway, which cancels the request's context.
	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		log.Fatal(err)
	}

	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		// A subscriber that sends nothing for 5 s is dead: time its reads out.
		ReadTimeout: 5 * time.Second,
		IdleTimeout: 60 * time.Second,
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
