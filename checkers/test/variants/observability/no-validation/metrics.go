package main

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// RED metrics: the Rate and the Errors from one counter, the Duration from a histogram.
// The route label is the ServeMux pattern, never the raw path: /orders/{id} is one series,
// whatever the id, and a scanner's 404s all land in "unmatched".
var (
	httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "http_requests_total",
		Help: "HTTP requests answered, by route template, method and status code.",
	}, []string{"route", "method", "code"})

	httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, from the handler's start to its return, by route template and method.",
		Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5},
	}, []string{"route", "method"})
)

func init() {
	prometheus.MustRegister(httpRequests, httpDuration)
}

// metricsHandler serves GET /metrics on the admin listener (admin.go): the RED metrics
// above, plus the Go runtime and process collectors that client_golang registers by default.
var metricsHandler http.Handler = promhttp.Handler()

// instrument records every request the handler inside it answers. It reads r.Pattern after the mux has
// served the request: ServeMux sets it on this very *Request, so nothing between here and
// the mux may replace r (r.WithContext makes a copy).
func instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		route, method := routeLabel(r.Pattern), methodLabel(r.Method)
		httpRequests.WithLabelValues(route, method, strconv.Itoa(rec.status())).Inc()
		httpDuration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	})
}

// routeLabel turns a pattern such as "GET /orders/{id}" into "/orders/{id}" (the method has
// its own label). No pattern matched: the mux answered 404 or 405 itself.
func routeLabel(pattern string) string {
	if pattern == "" {
		return "unmatched"
	}
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		return pattern[i+1:]
	}
	return pattern
}

// methodLabel bounds the method label too: a client can send any token as a method.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// statusRecorder remembers the status code the handler sent. A handler that writes a body
// without calling WriteHeader sends 200.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 && code >= 200 { // 1xx responses are informational: the final one follows
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

// Unwrap lets http.ResponseController reach the real writer (Flush, deadlines).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) status() int {
	if r.code == 0 {
		return http.StatusOK // the handler wrote nothing: net/http sends 200
	}
	return r.code
}
