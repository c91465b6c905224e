package main

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RED metrics without a client library: a counter and a histogram kept under a mutex and
// written in the Prometheus text format (version 0.0.4) by hand. The format is small:
// HELP and TYPE lines, one line per sample, label values escaped, histogram buckets
// cumulative and ending with le="+Inf", then _sum and _count.

var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

type histogram struct {
	buckets []uint64 // per upper bound in durationBuckets, not cumulative
	sum     float64
	count   uint64
}

type red struct {
	mu        sync.Mutex
	requests  map[[3]string]uint64 // route, method, code
	durations map[[2]string]*histogram
}

var metrics = &red{requests: map[[3]string]uint64{}, durations: map[[2]string]*histogram{}}

func (m *red) observe(route, method string, code int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[[3]string{route, method, strconv.Itoa(code)}]++
	h := m.durations[[2]string{route, method}]
	if h == nil {
		h = &histogram{buckets: make([]uint64, len(durationBuckets))}
		m.durations[[2]string{route, method}] = h
	}
	s := d.Seconds()
	if i, _ := slices.BinarySearch(durationBuckets, s); i < len(durationBuckets) {
		h.buckets[i]++ // the first bound >= s: le means "less than or equal"
	}
	h.sum += s
	h.count++
}

var escape = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func (m *red) write(b *strings.Builder) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b.WriteString("# HELP http_requests_total HTTP requests answered, by route template, method and status code.\n")
	b.WriteString("# TYPE http_requests_total counter\n")
	keys := slices.SortedFunc(func(yield func([3]string) bool) {
		for k := range m.requests {
			if !yield(k) {
				return
			}
		}
	}, func(a, b [3]string) int { return strings.Compare(strings.Join(a[:], " "), strings.Join(b[:], " ")) })
	for _, k := range keys {
		fmt.Fprintf(b, "http_requests_total{route=\"%s\",method=\"%s\",code=\"%s\"} %d\n", escape.Replace(k[0]), escape.Replace(k[1]), k[2], m.requests[k])
	}
	b.WriteString("# HELP http_request_duration_seconds Time to answer an HTTP request, by route template and method.\n")
	b.WriteString("# TYPE http_request_duration_seconds histogram\n")
	hkeys := make([][2]string, 0, len(m.durations))
	for k := range m.durations {
		hkeys = append(hkeys, k)
	}
	slices.SortFunc(hkeys, func(a, b [2]string) int { return strings.Compare(a[0]+" "+a[1], b[0]+" "+b[1]) })
	for _, k := range hkeys {
		h := m.durations[k]
		labels := fmt.Sprintf("route=\"%s\",method=\"%s\"", escape.Replace(k[0]), escape.Replace(k[1]))
		var cumulative uint64
		for i, le := range durationBuckets {
			cumulative += h.buckets[i]
			fmt.Fprintf(b, "http_request_duration_seconds_bucket{%s,le=\"%s\"} %d\n", labels, strconv.FormatFloat(le, 'g', -1, 64), cumulative)
		}
		fmt.Fprintf(b, "http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %d\n", labels, h.count)
		fmt.Fprintf(b, "http_request_duration_seconds_sum{%s} %s\n", labels, strconv.FormatFloat(h.sum, 'g', -1, 64))
		fmt.Fprintf(b, "http_request_duration_seconds_count{%s} %d\n", labels, h.count)
	}
}

// metricsHandler serves GET /metrics on the admin listener (admin.go).
var metricsHandler http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	metrics.write(&b)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Write([]byte(b.String()))
})

// instrument records every request the mux answers. mux.Handler finds the pattern the
// request will match without serving it.
func instrument(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		_, pattern := mux.Handler(r)
		rec := &statusRecorder{ResponseWriter: w}
		mux.ServeHTTP(rec, r)
		metrics.observe(routeLabel(pattern), methodLabel(r.Method), rec.status(), time.Since(start))
	})
}

// routeLabel turns "GET /orders/{id}" into "/orders/{id}"; no pattern: the mux answered
// 404 or 405 itself.
func routeLabel(pattern string) string {
	if pattern == "" {
		return "unmatched"
	}
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		return pattern[i+1:]
	}
	return pattern
}

func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 && code >= 200 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) status() int {
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}
