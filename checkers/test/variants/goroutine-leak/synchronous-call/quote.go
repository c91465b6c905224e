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

	// Price honours ctx, so a plain call returns by the timeout: no goroutine,
	// no channel, nothing to leak.
	cents, err := s.pricing.Price(ctx, sku)
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		http.Error(w, "pricing backend did not answer in time", http.StatusGatewayTimeout)
	case errors.Is(err, errUnknownSKU):
		http.Error(w, err.Error(), http.StatusNotFound)
	case err != nil:
		http.Error(w, "pricing backend: "+err.Error(), http.StatusBadGateway)
	default:
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(quote{SKU: sku, Qty: qty, UnitCents: cents, TotalCents: qty * cents})
	}
}
