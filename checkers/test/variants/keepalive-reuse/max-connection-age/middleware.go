package main

import (
	"context"
	"net"
	"net/http"
	"time"
)

// maxConnAge bounds how long one client connection may live, so that a load
// balancer with long-lived connections still spreads over new instances.
const maxConnAge = 2 * time.Minute

type acceptedAtKey struct{}

// rememberAccept is the server's ConnContext: it records when a connection was
// accepted in the context of every request on it.
func rememberAccept(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, acceptedAtKey{}, time.Now())
}

// spreadLoad closes a connection once it is older than maxConnAge (after the
// response), instead of after every response: the balancer opens a new one now
// and then, and reuses it in between.
func spreadLoad(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if at, ok := r.Context().Value(acceptedAtKey{}).(time.Time); ok && time.Since(at) > maxConnAge {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}
