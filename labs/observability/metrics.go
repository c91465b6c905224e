package main

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metricsHandler serves GET /metrics on the admin listener (admin.go), in the Prometheus
// text format. promhttp.Handler() gathers prometheus.DefaultRegisterer: the Go runtime
// (go_*) and process (process_*) collectors that client_golang registers by default.
var metricsHandler http.Handler = promhttp.Handler()
