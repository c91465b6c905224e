package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

// Every inventory call gets a traceparent of its own, with fresh random ids: always valid,
// never all-zero.

// traced is kept so that main.go does not change: the calls do not need the caller's headers.
func traced(next http.Handler) http.Handler { return next }

func injectTrace(ctx context.Context, req *http.Request) {
	var traceID [16]byte
	var spanID [8]byte
	for traceID == ([16]byte{}) {
		rand.Read(traceID[:])
	}
	for spanID == ([8]byte{}) {
		rand.Read(spanID[:])
	}
	req.Header.Set("traceparent", "00-"+hex.EncodeToString(traceID[:])+"-"+hex.EncodeToString(spanID[:])+"-01")
}
