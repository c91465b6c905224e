// The client of the recommendation service.
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
		base: base,
		// No Timeout: the recommendation service answers in a few milliseconds.
		client: &http.Client{Transport: t},
	}
}

// Get returns the recommendations for user. The box is what sells, so Get does not give up:
// it retries every 100 ms until the service answers.
func (c *RecsClient) Get(ctx context.Context, user string) ([]string, error) {
	for attempt := 1; ; attempt++ {
		items, err := c.fetch(user)
		if err == nil {
			return items, nil
		}
		if attempt == 1 {
			log.Printf("recommendations for %s: %v (retrying until it works)", user, err)
		}
		time.Sleep(100 * time.Millisecond)
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
