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
	"syscall"
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

	// TCP keep-alive probes are off: the heartbeats (broker.go) keep data flowing instead.
	// Data a vanished phone never acknowledges is retransmitted for ~15 minutes by default:
	// TCP_USER_TIMEOUT makes the kernel give up after 3 s without an acknowledgement. It is
	// set on the listening socket, and accepted connections inherit it.
	lc := net.ListenConfig{
		KeepAlive: -1,
		Control: func(network, address string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpUserTimeout, 3000)
			})
			if err != nil {
				return err
			}
			return serr
		},
	}
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

// tcpUserTimeout is TCP_USER_TIMEOUT from linux/tcp.h (not in package syscall).
const tcpUserTimeout = 0x12

func getenv(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
