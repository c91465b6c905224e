package main

import (
	"fmt"
	"strconv"
	"time"
)

// The inventory "database": row i is always the same, so every export of n rows is the same,
// byte for byte. The checker relies on that: do not change this file.

// item is one inventory row.
type item struct {
	ID        int
	SKU       string
	Name      string
	Category  string
	Warehouse string
	Qty       int
	PriceCts  int
	UpdatedAt time.Time
}

var (
	categories = []string{"keyboards", "mice", "monitors", "cables", "docks", "headsets", "webcams", "chairs"}
	warehouses = []string{"AMS-1", "FRA-2", "SIN-1", "IAD-3", "GRU-1"}
	adjectives = []string{"compact", "wireless", "ergonomic", "silent", "backlit", "foldable", "rugged", "slim"}
	epoch      = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

// csvHeader is the first line of every export.
var csvHeader = []string{"id", "sku", "name", "category", "warehouse", "qty", "price_cents", "updated_at"}

// row i of the inventory.
func row(i int) item {
	h := uint32(i)*2654435761 + 12345 // a cheap, fixed scramble
	cat := categories[h%uint32(len(categories))]
	return item{
		ID:        i + 1,
		SKU:       fmt.Sprintf("SKU-%08d", 40000000+i*7),
		Name:      fmt.Sprintf("%s %s, model %d", adjectives[(h>>8)%uint32(len(adjectives))], cat, h%9000+1000),
		Category:  cat,
		Warehouse: warehouses[(h>>16)%uint32(len(warehouses))],
		Qty:       int(h>>4) % 5000,
		PriceCts:  int(h>>12)%90000 + 199,
		UpdatedAt: epoch.Add(time.Duration(i) * 37 * time.Second),
	}
}

// record is the item as CSV fields.
func (it item) record() []string {
	return []string{
		strconv.Itoa(it.ID), it.SKU, it.Name, it.Category, it.Warehouse,
		strconv.Itoa(it.Qty), strconv.Itoa(it.PriceCts), it.UpdatedAt.Format(time.RFC3339),
	}
}

// scan calls fn with rows 0..n-1 in order, like iterating over database/sql Rows, and stops
// at the first error fn returns.
func scan(n int, fn func(item) error) error {
	for i := range n {
		if err := fn(row(i)); err != nil {
			return err
		}
	}
	return nil
}

// loadAll returns rows 0..n-1 as one slice.
func loadAll(n int) []item {
	items := make([]item, 0, n)
	scan(n, func(it item) error {
		items = append(items, it)
		return nil
	})
	return items
}
