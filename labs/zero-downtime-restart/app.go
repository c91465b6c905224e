package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"
)

type release struct {
	Version string `json:"version"`
}

// loadRelease reads the release and prepares it: it parses release.json, then builds the
// quote book, which takes a while (200 ms here; a real service loads caches, opens pools,
// compiles templates). A new process cannot serve before this has returned.
func loadRelease(path string) (release, error) {
	var r release
	b, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("%s: %w", path, err)
	}
	if r.Version == "" {
		return r, fmt.Errorf("%s: no version", path)
	}
	time.Sleep(200 * time.Millisecond) // building the quote book
	return r, nil
}

// routes: every answer says which process and which release served it
// (X-Server-Pid, X-Release): that is how you, and the checker, see a restart happen.
func routes(rel release) http.Handler {
	pid := strconv.Itoa(os.Getpid())
	mux := http.NewServeMux()
	mux.HandleFunc("GET /quote", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, "{\"symbol\":\"GOPH\",\"price\":%d.%02d}\n", 100+time.Now().Second(), time.Now().Nanosecond()%100)
	})
	// GET /report streams 8 lines, one every 150 ms: a request that is in flight for 1.2 s.
	mux.HandleFunc("GET /report", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		for i := 1; i <= 8; i++ {
			fmt.Fprintf(w, "report line %d of 8\n", i)
			http.NewResponseController(w).Flush()
			if i < 8 {
				select {
				case <-time.After(150 * time.Millisecond):
				case <-r.Context().Done():
					return
				}
			}
		}
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "ok %s\n", rel.Version)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Server-Pid", pid)
		w.Header().Set("X-Release", rel.Version)
		mux.ServeHTTP(w, r)
	})
}
