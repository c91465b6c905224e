package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"time"
)

// One shared client, bodies drained and closed, but the Transport keeps the
// default idle pool: MaxIdleConnsPerHost 0 means DefaultMaxIdleConnsPerHost, 2.
var ingestClient = &http.Client{
	Timeout: 2 * time.Second,
	Transport: &http.Transport{
		DialContext:           (&net.Dialer{Timeout: time.Second}).DialContext,
		ResponseHeaderTimeout: time.Second,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
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
