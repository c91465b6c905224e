package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// inventory is the client of the inventory service: one shared http.Client, so the
// connections to it are reused.
type inventory struct {
	base   string
	client *http.Client
}

func newInventory(base string) *inventory {
	return &inventory{base: base, client: &http.Client{Timeout: 3 * time.Second}}
}

// reserve asks the inventory service to hold qty units of item: POST {base}/reserve.
func (inv *inventory) reserve(ctx context.Context, item string, qty int) error {
	body, _ := json.Marshal(map[string]any{"item": item, "qty": qty})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, inv.base+"/reserve", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	injectTrace(ctx, req) // the inventory call is part of the caller's trace
	resp, err := inv.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("inventory answered %s", resp.Status)
	}
	return nil
}
