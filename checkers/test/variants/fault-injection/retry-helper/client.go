package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"time"
)

// backend is the gateway's one client for the backend service: connections are reused.
var backend = &http.Client{
	Transport: &http.Transport{MaxIdleConnsPerHost: 100, IdleConnTimeout: 90 * time.Second},
}

// policy: 3 attempts of 300 ms at most, within 1.5 s, and no more than 10 retries in a
// burst or 5 a second on average, however many calls fail.
var policy = retryPolicy{
	attempts:       3,
	attemptTimeout: 300 * time.Millisecond,
	deadline:       1500 * time.Millisecond,
	baseBackoff:    20 * time.Millisecond,
	maxBackoff:     200 * time.Millisecond,
	budget:         newTokenBucket(10, 5),
}

// reply is what the backend answered.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// call sends a request to the backend and reads its answer; GETs are retried by policy.
func call(ctx context.Context, method, url string, body []byte, header http.Header) (*reply, error) {
	idempotent := method == http.MethodGet || method == http.MethodHead || header.Get("Idempotency-Key") != ""
	return do(ctx, policy, idempotent, func(ctx context.Context) (*reply, bool, error) {
		req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
		if err != nil {
			return nil, false, err
		}
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := backend.Do(req)
		if err != nil {
			return nil, !errors.Is(err, context.Canceled), err
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return nil, true, err
		}
		transient := resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusGatewayTimeout
		return &reply{status: resp.StatusCode, header: resp.Header, body: data}, transient, nil
	})
}
