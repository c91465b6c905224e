// Admin listener: keep this file as it is.
//
// net/http/pprof and expvar on ADMIN_ADDR, on a listener of their own (not behind the
// chi router): goroutine dumps and counters (/debug/vars) while you work on the lab.
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
