package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"time"
)

// forward delivers one event to the ingest service and returns its status code.
func forward(ctx context.Context, url string, event []byte) (int, error) {
	// A client of its own for every call, with tight timeouts, so that a slow
	// ingest service cannot hold the gateway's handlers.
	client := &http.Client{
		Timeout: 2 * time.Second,
		Transport: &http.Transport{
			DialContext:           (&net.Dialer{Timeout: time.Second}).DialContext,
			ResponseHeaderTimeout: time.Second,
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
	// Only the status code matters here: the gateway has no use for the
	// ingest service's receipt in the body.
	return resp.StatusCode, nil
}
