// Admin listener: keep this file as it is.
//
// The checker reads the garbage collector's own counters here, on a listener of its own so
// that the load on ADDR never reaches it:
//
//	GET /debug/metrics        every scalar of runtime/metrics, as JSON
//	GET /debug/metrics?gc=1   the same, after a full collection (runtime.GC), so that the
//	                          heap numbers describe live memory only
//
// plus net/http/pprof (heap and allocation profiles) and expvar (/debug/vars, with memstats).
package main

import (
	"encoding/json"
	"expvar"
	"log"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"runtime/metrics"
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
	mux.HandleFunc("/debug/metrics", runtimeMetrics)
	go func() {
		log.Printf("admin listening on %s", addr)
		if err := http.ListenAndServe(addr, mux); err != nil {
			log.Printf("admin listener: %v", err)
		}
	}()
}

// runtimeMetrics answers {"/gc/heap/allocs:bytes": 123, ...} for every uint64 and float64
// metric that runtime/metrics describes (histograms are left out).
func runtimeMetrics(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("gc") == "1" {
		runtime.GC()
	}
	// ReadMemStats stops the world and flushes every P's allocation cache into the global
	// counters; without it, the bytes allocated from spans still cached by a P are not yet
	// counted in /gc/heap/allocs:bytes.
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	var samples []metrics.Sample
	for _, d := range metrics.All() {
		if d.Kind == metrics.KindUint64 || d.Kind == metrics.KindFloat64 {
			samples = append(samples, metrics.Sample{Name: d.Name})
		}
	}
	metrics.Read(samples)
	out := make(map[string]any, len(samples))
	for _, s := range samples {
		switch s.Value.Kind() {
		case metrics.KindUint64:
			out[s.Name] = s.Value.Uint64()
		case metrics.KindFloat64:
			out[s.Name] = s.Value.Float64()
		}
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(out)
}
