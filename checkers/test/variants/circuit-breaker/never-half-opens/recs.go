// The client of the recommendation service.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"expvar"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

var (
	upstreamCalls  = expvar.NewInt("upstream_calls")  // requests sent to the recommendation service
	breakerChanges = expvar.NewMap("breaker_changes") // how often the breaker entered each state
)

const (
	// callTimeout bounds one call. The service answers in a few milliseconds; a call that has
	// not been answered after 300 ms will not be, and the page cannot wait longer anyway.
	callTimeout = 300 * time.Millisecond
	// After 5 failed calls in a row the breaker opens; it lets one probe through every second.
	breakerThreshold = 5
	breakerCoolDown  = time.Second
)

// RecsClient calls the recommendation service: GET $UPSTREAM/recs?user=... answers
// {"user":"...","items":["...", ...]}.
type RecsClient struct {
	base    string
	client  *http.Client
	breaker *Breaker // one breaker per dependency
}

// NewRecsClient returns a client of the service at base.
func NewRecsClient(base string) *RecsClient {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64 // one shared pool of keep-alive connections
	return &RecsClient{
		base:    base,
		client:  &http.Client{Transport: t},
		breaker: NewBreaker(breakerThreshold, breakerCoolDown),
	}
}

// Get returns the recommendations for user, or an error at once when the service is known to
// be down (ErrOpen). One attempt, no retry: a retry during an outage only adds load, and the
// caller has a fallback.
func (c *RecsClient) Get(ctx context.Context, user string) ([]string, error) {
	if !c.breaker.Allow() {
		return nil, ErrOpen
	}
	// The call ends at callTimeout, or earlier if our own caller goes away.
	callCtx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	items, err := c.fetch(callCtx, user)
	switch {
	case err == nil:
		c.breaker.Success()
	case ctx.Err() != nil:
		c.breaker.Abandon() // our caller left: that says nothing about the service
	default:
		c.breaker.Failure()
	}
	return items, err
}

// fetch makes one call to the service, bounded by ctx.
func (c *RecsClient) fetch(ctx context.Context, user string) ([]string, error) {
	upstreamCalls.Add(1)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/recs?user="+url.QueryEscape(user), nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("recommendation service: no answer within %v", callTimeout)
		}
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return nil, fmt.Errorf("recommendation service: %s", resp.Status)
	}
	var body struct {
		Items []string `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("recommendation service: %w", err)
	}
	return body.Items, nil
}
