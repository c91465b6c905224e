// Command storefront is the API gateway of a shop. It answers the shop's apps by calling
// the backend service (UPSTREAM, default http://127.0.0.1:9090):
//
//	GET  /products/{id}   ->  GET  /items/{id}    a product, as JSON
//	POST /orders          ->  POST /orders        places an order (the JSON body is passed on)
//
// The backend's 2xx and 4xx answers are passed back as they are. When the backend fails
// (a 5xx answer, a connection error) the gateway answers 502 Bad Gateway, and 504 Gateway
// Timeout when the backend did not answer in time.
//
// It is the starter of the fault-injection lab. It works while the backend is healthy;
// when the backend has a bad minute, the shop's apps see errors and requests that hang.
// The bug is in client.go. Read README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"time"
)

func main() {
	addr := getenv("ADDR", "127.0.0.1:8080")
	upstream := getenv("UPSTREAM", "http://127.0.0.1:9090")

	mux := http.NewServeMux()
	mux.HandleFunc("GET /products/{id}", func(w http.ResponseWriter, r *http.Request) {
		rep, err := call(r.Context(), http.MethodGet, upstream+"/items/"+url.PathEscape(r.PathValue("id")), nil, nil)
		relay(w, rep, err)
	})
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		order, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err != nil {
			http.Error(w, "could not read the order", http.StatusBadRequest)
			return
		}
		header := http.Header{"Content-Type": {"application/json"}}
		if key := r.Header.Get("Idempotency-Key"); key != "" {
			header.Set("Idempotency-Key", key)
		}
		rep, err := call(r.Context(), http.MethodPost, upstream+"/orders", order, header)
		relay(w, rep, err)
	})

	srv := &http.Server{
		Addr:              addr,
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	log.Printf("listening on %s, backend %s", addr, upstream)
	log.Fatal(srv.ListenAndServe())
}

// relay passes the backend's answer back, or says why there is none.
func relay(w http.ResponseWriter, rep *reply, err error) {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		http.Error(w, "backend timed out", http.StatusGatewayTimeout)
	case err != nil:
		log.Printf("backend: %v", err)
		http.Error(w, "backend unreachable", http.StatusBadGateway)
	case rep.status >= 500:
		http.Error(w, fmt.Sprintf("backend answered %d", rep.status), http.StatusBadGateway)
	default:
		if ct := rep.header.Get("Content-Type"); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.WriteHeader(rep.status)
		w.Write(rep.body)
	}
}

func getenv(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
