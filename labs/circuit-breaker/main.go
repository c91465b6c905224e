// Command shop serves the recommendations box of a shop's product pages:
// GET /recommendations?user=... asks the recommendation service (at $UPSTREAM) what to show,
// and shows the bestsellers instead when it cannot get an answer.
//
// It is the starter of the circuit-breaker lab. While the recommendation service is healthy,
// all is well. When it goes down, the page never gets its fallback: recs.go waits for ever on
// a service that hangs, and retries for ever a service that fails, multiplying its load by the
// retries of every request that ever arrived. Read README.md.
package main

import (
	"encoding/json"
	"expvar"
	"log"
	"net/http"
	"os"
	"time"
)

// bestsellers is what the box shows when the recommendation service cannot answer.
var bestsellers = []string{"sku-1001", "sku-1002", "sku-1003"}

var fallbacks = expvar.NewInt("fallbacks") // answers served from the fallback

// box is the JSON the product page renders.
type box struct {
	User   string   `json:"user"`
	Items  []string `json:"items"`
	Source string   `json:"source"` // "live" or "fallback"
}

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	upstream := os.Getenv("UPSTREAM")
	if upstream == "" {
		upstream = "http://127.0.0.1:9090"
	}
	startAdmin()

	recs := NewRecsClient(upstream)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /recommendations", func(w http.ResponseWriter, r *http.Request) {
		user := r.URL.Query().Get("user")
		if user == "" {
			http.Error(w, "missing user", http.StatusBadRequest)
			return
		}
		b := box{User: user, Source: "live"}
		items, err := recs.Get(r.Context(), user)
		if err != nil {
			fallbacks.Add(1)
			items, b.Source = bestsellers, "fallback"
		}
		b.Items = items
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(b)
	})

	srv := &http.Server{
		Addr:              addr,
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	log.Printf("listening on %s, recommendations from %s", addr, upstream)
	log.Fatal(srv.ListenAndServe())
}
