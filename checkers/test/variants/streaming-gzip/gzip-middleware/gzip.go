package main

import (
	"compress/gzip"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// gzipPool reuses gzip.Writers: each one holds about 800 KB of compressor state.
var gzipPool = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

// withGzip compresses the responses of next for clients whose Accept-Encoding lists gzip.
func withGzip(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Encoding")
		if !acceptsGzip(r.Header.Get("Accept-Encoding")) {
			next.ServeHTTP(w, r)
			return
		}
		gz := gzipPool.Get().(*gzip.Writer)
		gz.Reset(w)
		gw := &gzipWriter{ResponseWriter: w, gz: gz}
		defer func() {
			if gw.started {
				gz.Close() // the final block and the trailer
			}
			gz.Reset(nil)
			gzipPool.Put(gz)
		}()
		next.ServeHTTP(gw, r)
	})
}

// gzipWriter sends the body through gz. The headers are fixed on the first write: the
// length of a compressed body is not known in advance, so Content-Length goes.
type gzipWriter struct {
	http.ResponseWriter
	gz      *gzip.Writer
	started bool
}

func (g *gzipWriter) WriteHeader(code int) {
	if !g.started {
		g.started = true
		h := g.ResponseWriter.Header()
		h.Del("Content-Length")
		h.Set("Content-Encoding", "gzip")
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *gzipWriter) Write(p []byte) (int, error) {
	if !g.started {
		g.WriteHeader(http.StatusOK)
	}
	return g.gz.Write(p)
}

// Flush pushes what gzip holds to the client; http.ResponseController finds it.
func (g *gzipWriter) Flush() {
	if !g.started {
		g.WriteHeader(http.StatusOK)
	}
	g.gz.Flush()
	http.NewResponseController(g.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection's deadlines.
func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// acceptsGzip reports whether an Accept-Encoding header lists gzip with a q-value above 0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		k, v, ok := strings.Cut(strings.ReplaceAll(params, " ", ""), "=")
		if !ok || k != "q" {
			return true
		}
		q, err := strconv.ParseFloat(v, 64)
		return err != nil || q > 0
	}
	return false
}
