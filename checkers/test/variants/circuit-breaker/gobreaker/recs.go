// The client of the recommendation service.
//
// Variant (another correct fix): the breaker is github.com/sony/gobreaker/v2 instead of a
// hand-written one, and the timeout is http.Client.Timeout instead of a context deadline.
// Its defaults would not do: Timeout (the open period) defaults to 60 s, and ReadyToTrip to
// "more than 5 consecutive failures".
package main

import (
	"context"
	"encoding/json"
	"expvar"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/sony/gobreaker/v2"
)

var upstreamCalls = expvar.NewInt("upstream_calls") // requests sent to the recommendation service

// RecsClient calls the recommendation service: GET $UPSTREAM/recs?user=... answers
// {"user":"...","items":["...", ...]}.
type RecsClient struct {
	base    string
	client  *http.Client
	breaker *gobreaker.CircuitBreaker[[]string]
}

// NewRecsClient returns a client of the service at base.
func NewRecsClient(base string) *RecsClient {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64 // one shared pool of keep-alive connections
	return &RecsClient{
		base:   base,
		client: &http.Client{Transport: t, Timeout: 300 * time.Millisecond},
		breaker: gobreaker.NewCircuitBreaker[[]string](gobreaker.Settings{
			Name:        "recommendations",
			MaxRequests: 1,           // one probe while half-open
			Timeout:     time.Second, // open for 1 s, then half-open
			ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 5 },
		}),
	}
}

// Get returns the recommendations for user, or gobreaker.ErrOpenState (or ErrTooManyRequests
// while a probe is in flight) at once when the service is known to be down. One attempt.
func (c *RecsClient) Get(ctx context.Context, user string) ([]string, error) {
	return c.breaker.Execute(func() ([]string, error) { return c.fetch(user) })
}

// fetch makes one call to the service, bounded by the client's Timeout.
func (c *RecsClient) fetch(user string) ([]string, error) {
	upstreamCalls.Add(1)
	resp, err := c.client.Get(c.base + "/recs?user=" + url.QueryEscape(user))
	if err != nil {
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
