package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// quoteServer answers GET /quote?sku=...&qty=...: the unit price comes from the
// pricing backend, which is usually fast but slow for some SKUs. A quote that is not
// ready within timeout is answered 504 Gateway Timeout.
type quoteServer struct {
	pricing *pricingClient
	timeout time.Duration
}

type quote struct {
	SKU        string `json:"sku"`
	Qty        int    `json:"qty"`
	UnitCents  int    `json:"unit_cents"`
	TotalCents int    `json:"total_cents"`
}

type priceResult struct {
	cents int
	err   error
}

func (s *quoteServer) handleQuote(w http.ResponseWriter, r *http.Request) {
	sku := r.URL.Query().Get("sku")
	qty := 1
	if q := r.URL.Query().Get("qty"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 || n > 1000 {
			http.Error(w, "qty must be a number from 1 to 1000", http.StatusBadRequest)
			return
		}
		qty = n
	}

	ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
	defer cancel()

	// Ask the pricing backend in the background, so that the handler can give up
	// when the timeout fires instead of waiting for a slow backend.
	ch := make(chan priceResult)
	go func() {
		// r.Context() is canceled as soon as the handler returns, so the lookup
		// gets a context of its own: it is allowed to finish.
		cents, err := s.pricing.Price(context.Background(), sku)
		// Give up sending after a minute, so the goroutine cannot block for ever.
		select {
		case ch <- priceResult{cents, err}:
		case <-time.After(time.Minute):
		}
	}()

	select {
	case res := <-ch:
		switch {
		case errors.Is(res.err, errUnknownSKU):
			http.Error(w, res.err.Error(), http.StatusNotFound)
		case res.err != nil:
			http.Error(w, "pricing backend: "+res.err.Error(), http.StatusBadGateway)
		default:
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(quote{SKU: sku, Qty: qty, UnitCents: res.cents, TotalCents: qty * res.cents})
		}
	case <-ctx.Done():
		// The timeout fired, or the client went away (r.Context() is canceled
		// when the connection closes).
		http.Error(w, "pricing backend did not answer in time", http.StatusGatewayTimeout)
	}
}
