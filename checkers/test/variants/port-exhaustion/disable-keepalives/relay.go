package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"time"
)

// "Too many connections? Then don't keep any": a shared client with keep-alives
// off. Every call sends Connection: close, and the ingest service closes first.
var ingestClient = &http.Client{
	Timeout: 2 * time.Second,
	Transport: &http.Transport{
		DialContext:           (&net.Dialer{Timeout: time.Second}).DialContext,
		ResponseHeaderTimeout: time.Second,
		DisableKeepAlives:     true,
	},
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
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
