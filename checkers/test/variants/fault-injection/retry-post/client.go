package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"
)

const (
	// callTimeout bounds a whole call, every attempt and every pause included: the gateway
	// answers within 2 s, whatever the backend does.
	callTimeout = 1800 * time.Millisecond
	// attemptTimeout bounds one attempt, from dialing to the last byte of the body. A healthy
	// backend answers in a few milliseconds; an attempt that takes longer is not coming back.
	attemptTimeout = 400 * time.Millisecond
	maxAttempts    = 3
	// backoff before retry n is a random duration in [0, min(maxBackoff, baseBackoff·2ⁿ)):
	// exponential backoff with full jitter, so that retries from many calls spread out.
	baseBackoff = 25 * time.Millisecond
	maxBackoff  = 250 * time.Millisecond
)

// backend is the gateway's one client for the backend service: connections are reused.
// The dialer's timeout is a second line of defence; the attempt's context is the first.
var backend = &http.Client{
	Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: attemptTimeout}).DialContext,
		MaxIdleConnsPerHost: 100,
		IdleConnTimeout:     90 * time.Second,
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

// call sends a request to the backend and reads its answer. Requests that fail in a way
// that may not happen again (a 502, 503 or 504, a timeout, a connection error) are retried
// while the budget and the deadline allow: an order that failed deserves a second try too.
func call(ctx context.Context, method, url string, body []byte, header http.Header) (*reply, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	budget.deposit()
	for attempt := 1; ; attempt++ {
		rep, err := callOnce(ctx, method, url, body, header)
		if !retryable(rep, err) || attempt == maxAttempts || ctx.Err() != nil {
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

// callOnce is one attempt, with its own deadline.
func callOnce(ctx context.Context, method, url string, body []byte, header http.Header) (*reply, error) {
	ctx, cancel := context.WithTimeout(ctx, attemptTimeout)
	defer cancel()
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
