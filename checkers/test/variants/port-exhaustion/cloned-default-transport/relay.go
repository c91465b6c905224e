package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"time"
)

// ingestClient starts from a copy of http.DefaultTransport (proxy from the
// environment, dial and TLS timeouts, HTTP/2, IdleConnTimeout 90 s) and only
// raises the per-host idle pool. Cloning leaves DefaultTransport, which other
// packages share, untouched.
var ingestClient = newIngestClient()

func newIngestClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	t.ResponseHeaderTimeout = time.Second
	return &http.Client{Transport: t, Timeout: 2 * time.Second}
}

func forward(ctx context.Context, url string, event []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(event))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := ingestClient.Do(req)
	if err != nil {
		return 0, err
	}
	// Read what is left (at most 1 MiB) so the connection can be reused, then close.
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)); err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}
