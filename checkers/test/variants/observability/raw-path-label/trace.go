package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

// W3C Trace Context (https://www.w3.org/TR/trace-context/): the traceparent header is
//
//	version "-" trace-id "-" parent-id "-" trace-flags
//	00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
//
// lower-case hex, 2-32-16-2 digits. An all-zero trace-id or parent-id is invalid, and so is
// version ff. A service keeps the trace-id, makes a span of its own (a new id), and sends that
// span's id as the parent-id of every call it makes; an invalid or missing header starts a
// new trace.
type spanContext struct {
	traceID    [16]byte
	spanID     [8]byte
	flags      byte
	traceState string // passed on unchanged: it belongs to the vendors in the trace
}

// String is the traceparent header for calls made from this span.
func (sc spanContext) String() string {
	return "00-" + hex.EncodeToString(sc.traceID[:]) + "-" + hex.EncodeToString(sc.spanID[:]) + "-" + hex.EncodeToString([]byte{sc.flags})
}

// parseTraceparent reads an incoming traceparent; ok is false for anything the
// specification calls invalid.
func parseTraceparent(h string) (sc spanContext, ok bool) {
	if len(h) < 55 || h[2] != '-' || h[35] != '-' || h[52] != '-' {
		return sc, false
	}
	version := h[0:2]
	if !lowerHex(version) || version == "ff" {
		return sc, false
	}
	// Version 00 is exactly 55 characters; a later version may append "-" and more fields.
	if (version == "00" && len(h) != 55) || (len(h) > 55 && h[55] != '-') {
		return sc, false
	}
	if !lowerHex(h[3:35]) || !lowerHex(h[36:52]) || !lowerHex(h[53:55]) {
		return sc, false
	}
	hex.Decode(sc.traceID[:], []byte(h[3:35]))
	hex.Decode(sc.spanID[:], []byte(h[36:52]))
	var flags [1]byte
	hex.Decode(flags[:], []byte(h[53:55]))
	sc.flags = flags[0]
	if sc.traceID == ([16]byte{}) || sc.spanID == ([8]byte{}) {
		return sc, false
	}
	return sc, true
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// startSpan makes this service's span for a request: a child of parent when the caller
// sent a valid traceparent, else the root of a new, sampled trace.
func startSpan(parent spanContext, ok bool) spanContext {
	var sc spanContext
	if ok {
		sc.traceID = parent.traceID
		sc.flags = parent.flags & 0x01 // version 00 defines only the sampled bit
		sc.traceState = parent.traceState
	} else {
		for sc.traceID == ([16]byte{}) {
			rand.Read(sc.traceID[:])
		}
		sc.flags = 0x01
	}
	for sc.spanID == ([8]byte{}) || sc.spanID == parent.spanID {
		rand.Read(sc.spanID[:])
	}
	return sc
}

type spanKey struct{}

func spanFrom(ctx context.Context) (spanContext, bool) {
	sc, ok := ctx.Value(spanKey{}).(spanContext)
	return sc, ok
}

// traced gives every request a span in its context, continuing the caller's trace.
func traced(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parent, ok := parseTraceparent(r.Header.Get("traceparent"))
		if ok {
			parent.traceState = r.Header.Get("tracestate")
		}
		span := startSpan(parent, ok)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), spanKey{}, span)))
	})
}

// injectTrace puts the span of ctx on an outgoing request.
func injectTrace(ctx context.Context, req *http.Request) {
	sc, ok := spanFrom(ctx)
	if !ok {
		return
	}
	req.Header.Set("traceparent", sc.String())
	if sc.traceState != "" {
		req.Header.Set("tracestate", sc.traceState)
	}
}
