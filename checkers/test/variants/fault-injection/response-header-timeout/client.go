package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

const (
	// attemptTimeout bounds the wait for the backend's answer. A healthy backend answers in
	// a few milliseconds; an answer that takes longer is not coming.
	attemptTimeout = 400 * time.Millisecond
	maxAttempts    = 3
	// backoff before retry n is a random duration in [0, min(maxBackoff, baseBackoff·2ⁿ)):
	// exponential backoff with full jitter, so that retries from many calls spread out.
	baseBackoff = 25 * time.Millisecond
	maxBackoff  = 250 * time.Millisecond
)

// backend is the gateway's one client for the backend service: connections are reused.
// ResponseHeaderTimeout bounds every attempt: an answer that has not started after
// attemptTimeout is not coming.
var backend = &http.Client{
	Transport: &http.Transport{
		MaxIdleConnsPerHost:   100,
		ResponseHeaderTimeout: attemptTimeout,
	},
}

// budget allows retries for at most 10% of calls, plus a reserve of 20: when the backend is
// down, retries cannot multiply its load.
var budget = newRetryBudget(0.1, 20)

// reply is what the backend answered.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// call sends a request to the backend and reads its answer. Idempotent requests that fail
// in a way that may not happen again (a 502, 503 or 504, a timeout, a connection error) are
// retried while the budget and the deadline allow; other requests are sent exactly once.
func call(ctx context.Context, method, url string, body []byte, header http.Header) (*reply, error) {
	budget.deposit()
	for attempt := 1; ; attempt++ {
		rep, err := callOnce(ctx, method, url, body, header)
		if !retryable(rep, err) || !idempotent(method, header) || attempt == maxAttempts || ctx.Err() != nil {
			return rep, err
		}
		if !budget.withdraw() {
			return rep, err
		}
		pause := rand.N(min(maxBackoff, baseBackoff<<attempt))
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return rep, err
		}
	}
}

// callOnce is one attempt; the Transport's ResponseHeaderTimeout is its deadline.
func callOnce(ctx context.Context, method, url string, body []byte, header http.Header) (*reply, error) {
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

// idempotent: sending the request twice has the same effect as sending it once. A POST is
// not, unless the client gave it an Idempotency-Key that the backend deduplicates on (the
// same rule as net/http's Request.isReplayable).
func idempotent(method string, header http.Header) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return header.Get("Idempotency-Key") != ""
}

// retryable: the failure may not happen on the next attempt. A 4xx will.
func retryable(rep *reply, err error) bool {
	if err != nil {
		return !errors.Is(err, context.Canceled) // the caller went away: nobody wants the answer
	}
	switch rep.status {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryBudget is a token bucket: every call deposits ratio tokens, every retry takes one,
// and the bucket holds at most reserve tokens. Over time, retries are at most ratio × calls.
type retryBudget struct {
	mu      sync.Mutex
	tokens  float64
	ratio   float64
	reserve float64
}

func newRetryBudget(ratio, reserve float64) *retryBudget {
	return &retryBudget{tokens: reserve, ratio: ratio, reserve: reserve}
}

func (b *retryBudget) deposit() {
	b.mu.Lock()
	b.tokens = min(b.reserve, b.tokens+b.ratio)
	b.mu.Unlock()
}

func (b *retryBudget) withdraw() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
