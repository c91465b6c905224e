// The client of the recommendation service.
//
// Variant (wrong fix): a timeout on every call (http.Client.Timeout, 300 ms), and a retry every
// second until it works. A hanging service now fails each call after 300 ms, and the loop
// retries it for ever: the page never gets its fallback, and the service gets a request from
// every page that ever arrived, every 1.3 s, for as long as the outage lasts.
package main

import (
	"context"
	"encoding/json"
	"expvar"
	"fmt"
	"io"
	"log"
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
		client: &http.Client{Transport: t, Timeout: 300 * time.Millisecond},
	}
}

// Get returns the recommendations for user. The box is what sells, so Get does not give up:
// it retries every second until the service answers.
func (c *RecsClient) Get(ctx context.Context, user string) ([]string, error) {
	for attempt := 1; ; attempt++ {
		items, err := c.fetch(user)
		if err == nil {
			return items, nil
		}
		if attempt == 1 {
			log.Printf("recommendations for %s: %v (retrying until it works)", user, err)
		}
		time.Sleep(time.Second)
	}
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
