package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
)

// backend is the gateway's one client for the backend service: connections are reused.
var backend = &http.Client{
	Transport: &http.Transport{MaxIdleConnsPerHost: 100},
}

// reply is what the backend answered.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// call sends one request to the backend and reads its answer.
func call(ctx context.Context, method, url string, body []byte, header http.Header) (*reply, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := backend.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	return &reply{status: resp.StatusCode, header: resp.Header, body: data}, nil
}
