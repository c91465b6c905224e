package main

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The pricing backend. In production it is an HTTP call to another team's service;
// here a timer stands in for the network so that the lab runs anywhere. Keep the
// latencies as they are: the checker relies on them.

// errUnknownSKU is returned for a SKU the backend does not sell.
var errUnknownSKU = errors.New("unknown sku")

type priceEntry struct {
	cents   int
	latency time.Duration // how long the backend takes to answer
}

type pricingClient struct {
	prices map[string]priceEntry
}

func newPricingClient() *pricingClient {
	return &pricingClient{prices: map[string]priceEntry{
		"keyboard": {cents: 4900, latency: 150 * time.Millisecond},
		"mouse":    {cents: 1900, latency: 150 * time.Millisecond},
		"monitor":  {cents: 18900, latency: 600 * time.Millisecond},
		// Graphics cards are priced by a supplier: the lookup takes longer than
		// the quote handler is willing to wait.
		"gpu": {cents: 79900, latency: 1500 * time.Millisecond},
	}}
}

// Price returns the unit price of sku in cents. It honours ctx: when ctx is done
// before the backend has answered, Price returns ctx.Err() at once.
func (c *pricingClient) Price(ctx context.Context, sku string) (int, error) {
	e, ok := c.prices[sku]
	if !ok {
		return 0, fmt.Errorf("%w: %q", errUnknownSKU, sku)
	}
	t := time.NewTimer(e.latency)
	defer t.Stop()
	select {
	case <-t.C:
		return e.cents, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}
