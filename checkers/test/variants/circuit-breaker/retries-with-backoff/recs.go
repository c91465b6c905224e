// The client of the recommendation service.
//
// Variant (wrong fix): a timeout on every call and a bounded retry with exponential backoff
// and jitter, no circuit breaker. Every page now gets its fallback in time. But every page
// still calls the service, twice: during an outage the service gets two requests per page,
// whatever state it is in. Backoff spreads retries out; it does not stop them.
package main

import (
	"context"
	"encoding/json"
	"expvar"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"
)

var upstreamCalls = expvar.NewInt("upstream_calls") // requests sent to the recommendation service

// RecsClient calls the recommendation service: GET $UPSTREAM/recs?user=... answers
// {"user":"...","items":["...", ...]}.
type RecsClient struct {
	base   string
	client *http.Client
}

// NewRecsClient returns a client of the service at base.
func NewRecsClient(base string) *RecsClient {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64 // one shared pool of keep-alive connections
	return &RecsClient{
		base:   base,
		client: &http.Client{Transport: t, Timeout: 200 * time.Millisecond},
	}
}

const attempts = 2

// Get returns the recommendations for user: at most two attempts, with a jittered backoff of
// 25 to 50 ms between them.
func (c *RecsClient) Get(ctx context.Context, user string) ([]string, error) {
	var err error
	for attempt := 1; attempt <= attempts; attempt++ {
		var items []string
		if items, err = c.fetch(user); err == nil {
			return items, nil
		}
		if attempt < attempts {
			backoff := 25 * time.Millisecond << (attempt - 1)
			time.Sleep(backoff + rand.N(backoff))
		}
	}
	log.Printf("recommendations for %s: %v (gave up after %d attempts)", user, err, attempts)
	return nil, err
}

// fetch makes one call to the service.
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
