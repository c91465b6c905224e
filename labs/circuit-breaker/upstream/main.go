// Command upstream is a stand-in recommendation service, to try the lab by hand:
//
//	go run ./upstream                          # listens on 127.0.0.1:9090 (or $UPSTREAM_ADDR)
//	curl -X PUT localhost:9090/mode -d hang    # accept requests, never answer
//	curl -X PUT localhost:9090/mode -d fail    # answer 503 at once
//	curl -X PUT localhost:9090/mode -d ok      # healthy again
//
// Every second it prints how many requests it received: that is the load your server puts
// on it, which is what an outage is made of.
package main

import (
	"encoding/json"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type service struct {
	mu       sync.Mutex
	mode     string
	released chan struct{} // closed when the mode changes: hung requests then get an answer
	received atomic.Int64
}

func (s *service) current() (string, chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mode, s.released
}

func (s *service) setMode(m string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mode = m
	close(s.released)
	s.released = make(chan struct{})
}

func (s *service) recs(w http.ResponseWriter, r *http.Request) {
	s.received.Add(1)
	mode, released := s.current()
	switch mode {
	case "hang":
		select {
		case <-released: // the service "restarts": the connection is closed
		case <-r.Context().Done():
		}
		panic(http.ErrAbortHandler)
	case "fail":
		http.Error(w, "recommendations unavailable", http.StatusServiceUnavailable)
		return
	}
	user := r.URL.Query().Get("user")
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"user": user, "items": []string{"rec-" + user + "-1", "rec-" + user + "-2", "rec-" + user + "-3"}})
}

func main() {
	addr := os.Getenv("UPSTREAM_ADDR")
	if addr == "" {
		addr = "127.0.0.1:9090"
	}
	s := &service{mode: "ok", released: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /recs", s.recs)
	mux.HandleFunc("PUT /mode", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 16))
		m := strings.TrimSpace(string(b))
		if m != "ok" && m != "hang" && m != "fail" {
			http.Error(w, "mode is ok, hang or fail", http.StatusBadRequest)
			return
		}
		s.setMode(m)
		log.Printf("mode: %s", m)
	})
	go func() {
		var last int64
		for range time.Tick(time.Second) {
			n := s.received.Load()
			if n != last {
				mode, _ := s.current()
				log.Printf("%5d requests/s (mode %s, %d in total)", n-last, mode, n)
			}
			last = n
		}
	}()
	log.Printf("recommendation service on %s (mode ok)", addr)
	log.Fatal(http.ListenAndServe(addr, mux))
}
