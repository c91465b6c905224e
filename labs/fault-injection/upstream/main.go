// Command upstream is a flaky stand-in for the backend service, to try the gateway by hand:
//
//	go run ./upstream            # listens on UPSTREAM_ADDR, default 127.0.0.1:9090
//
// GET /items/{id} answers a product as JSON; POST /orders answers 201. Its faults are
// deterministic, counted over all requests: every FAIL_EVERY-th request (default 5) is
// answered 503, and every HANG_EVERY-th request (default 7) is never answered at all.
// Set either to 0 to turn it off. It logs every request with its number and fate.
// The checker runs its own backend, which fails by request instead.
package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

func main() {
	addr := getenv("UPSTREAM_ADDR", "127.0.0.1:9090")
	failEvery := atoi(getenv("FAIL_EVERY", "5"))
	hangEvery := atoi(getenv("HANG_EVERY", "7"))
	var n atomic.Int64

	// fate decides what happens to request number i: 503, no answer, or a normal answer.
	fate := func(r *http.Request) (int64, string) {
		i := n.Add(1)
		switch {
		case hangEvery > 0 && i%hangEvery == 0:
			return i, "hang"
		case failEvery > 0 && i%failEvery == 0:
			return i, "503"
		}
		return i, "ok"
	}
	answer := func(w http.ResponseWriter, r *http.Request, i int64, f string) bool {
		log.Printf("#%d %s %s: %s", i, r.Method, r.URL.Path, f)
		switch f {
		case "hang":
			<-r.Context().Done() // never answers; gives up only when the caller does
			return false
		case "503":
			http.Error(w, "backend overloaded", http.StatusServiceUnavailable)
			return false
		}
		return true
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		i, f := fate(r)
		if !answer(w, r, i, f) {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, "{\"id\":%q,\"name\":\"Product %s\",\"price_cents\":1250,\"in_stock\":true}\n", r.PathValue("id"), r.PathValue("id"))
	})
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		// The order is created before the fate is known: a 503 or a hang here does not
		// mean that nothing happened.
		i, f := fate(r)
		if !answer(w, r, i, f) {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "{\"order\":\"ord-%d\",\"status\":\"created\"}\n", i)
	})
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Printf("backend listening on %s: every %dth request fails with 503, every %dth is never answered", addr, failEvery, hangEvery)
	log.Fatal(srv.ListenAndServe())
}

func getenv(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

func atoi(s string) int64 {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		log.Fatalf("not a number: %q", s)
	}
	return v
}
