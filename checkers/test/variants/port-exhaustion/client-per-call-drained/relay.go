package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"time"
)

// The body is now drained and closed, as every blog post says, but the client
// (and its Transport, and its idle pool) is still built per call.
func forward(ctx context.Context, url string, event []byte) (int, error) {
	client := &http.Client{
		Timeout: 2 * time.Second,
		Transport: &http.Transport{
			DialContext:           (&net.Dialer{Timeout: time.Second}).DialContext,
			ResponseHeaderTimeout: time.Second,
			MaxIdleConnsPerHost:   100,
		},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(event))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
