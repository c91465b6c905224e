// Admin listener: keep this file as it is.
//
// The checker reads goroutine totals from net/http/pprof on ADMIN_ADDR, and you can read the
// engine's counters at /debug/vars (expvar). It runs on its own listener, with no limit, so
// that the load on ADDR does not reach it.
package main

import (
	"expvar"
	"log"
	"net/http"
	"net/http/pprof"
	"os"
)

func startAdmin() {
	addr := os.Getenv("ADMIN_ADDR")
	if addr == "" {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/debug/vars", expvar.Handler())
	go func() {
		log.Printf("admin listening on %s", addr)
		if err := http.ListenAndServe(addr, mux); err != nil {
			log.Printf("admin listener: %v", err)
		}
	}()
}
