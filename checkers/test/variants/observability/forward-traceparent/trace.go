package main

import (
	"context"
	"net/http"
)

// The trace headers the caller sent, passed on as they came: the inventory call is part of
// the caller's trace.
type traceHeaders struct {
	traceparent, tracestate string
}

type traceKey struct{}

func traced(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		th := traceHeaders{r.Header.Get("traceparent"), r.Header.Get("tracestate")}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), traceKey{}, th)))
	})
}

func injectTrace(ctx context.Context, req *http.Request) {
	th, _ := ctx.Value(traceKey{}).(traceHeaders)
	if th.traceparent != "" {
		req.Header.Set("traceparent", th.traceparent)
	}
	if th.tracestate != "" {
		req.Header.Set("tracestate", th.tracestate)
	}
}
