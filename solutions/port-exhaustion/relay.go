package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"time"
)

// ingestClient is shared by every call: its Transport keeps the connections to the
// ingest service open between calls (keep-alive) and hands them out again.
var ingestClient = &http.Client{
	// The whole call, body included, is bounded: a slow ingest service cannot
	// hold the gateway's handlers.
	Timeout: 2 * time.Second,
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ResponseHeaderTimeout: time.Second,
		// Every call goes to the same host. The idle pool must be able to keep a
		// connection for each call in flight, or the surplus is closed after every
		// burst and dialled again (the default, DefaultMaxIdleConnsPerHost, is 2).
		MaxIdleConns:        200,
		MaxIdleConnsPerHost: 100,
		// Idle connections are closed after a while, so the pool shrinks back
		// after a peak.
		IdleConnTimeout: 90 * time.Second,
	},
}

// forward delivers one event to the ingest service and returns its status code.
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
	// The receipt is not needed, but the body must be read to EOF and closed:
	// only then does the Transport put the connection back in its idle pool.
	// Closing an unread body closes the connection instead. The limit keeps a
	// huge body from being read just to save one connection.
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, nil
}
