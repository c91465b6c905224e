// Admin listener: keep this file as it is.
//
// Prometheus (and the checker) scrape GET /metrics here, on ADMIN_ADDR, next to
// net/http/pprof: operational endpoints stay off the public listener, and the scrapes do
// not show up in the service's own request metrics. metricsHandler is in metrics.go.
package main

import (
	"log"
	"net/http"
	"net/http/pprof"
	"os"
)

func startAdmin() {
	addr := os.Getenv("ADMIN_ADDR")
	if addr == "" {
		addr = "127.0.0.1:9100"
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metricsHandler)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go func() {
		log.Printf("admin listening on %s", addr)
		if err := http.ListenAndServe(addr, mux); err != nil {
			log.Printf("admin listener: %v", err)
		}
	}()
}
