// Command inventoryd is a stand-in for the inventory service, to try the orders service by
// hand:
//
//	go run ./inventoryd          # listens on INVENTORY_ADDR, default 127.0.0.1:9090
//
// POST /reserve {"item": "...", "qty": n} answers 200, after 500 ms for an item named
// "slow-...", and 503 for an item named "fail-...": what the checker's inventory service
// does. It logs the traceparent of every call, which is what the trace probes look at.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	addr := os.Getenv("INVENTORY_ADDR")
	if addr == "" {
		addr = "127.0.0.1:9090"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /reserve", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Item string `json:"item"`
			Qty  int    `json:"qty"`
		}
		json.NewDecoder(r.Body).Decode(&in)
		tp := r.Header.Get("traceparent")
		if tp == "" {
			tp = "(none)"
		}
		log.Printf("reserve %s x%d  traceparent: %s", in.Item, in.Qty, tp)
		switch {
		case strings.HasPrefix(in.Item, "fail-"):
			http.Error(w, "out of stock service", http.StatusServiceUnavailable)
			return
		case strings.HasPrefix(in.Item, "slow-"):
			time.Sleep(500 * time.Millisecond)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"reserved": true, "item": in.Item})
	})
	log.Printf("inventory listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, mux))
}
