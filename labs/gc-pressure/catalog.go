// The catalog snapshot: keep this file as it is.
//
// At start-up the service reads every product from the JSON-lines file named by CATALOG
// (default catalog.jsonl), one product per line, and hands each one to the cache. The checker
// writes a fresh catalog for every check. Without the file, a demo catalog of 100,000 products
// is generated, so that `go run .` works on its own.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
)

// Product is one line of the catalog, and one element of a GET /products answer.
type Product struct {
	ID         int      `json:"id"`
	SKU        string   `json:"sku"`
	Name       string   `json:"name"`
	Category   string   `json:"category"`
	PriceCents int64    `json:"price_cents"`
	Stock      int      `json:"stock"`
	Tags       []string `json:"tags"`
}

// loadCatalog calls put once per product, in file order, and returns how many there were.
func loadCatalog(path string, put func(Product)) (int, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return demoCatalog(100_000, put), nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var p Product
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			return n, fmt.Errorf("%s line %d: %w", path, n+1, err)
		}
		put(p)
		n++
	}
	return n, sc.Err()
}

var (
	adjectives = []string{"Walnut", "Oak", "Brushed", "Matte", "Compact", "Folding", "Vintage", "Nordic", "Heavy-duty", "Quiet"}
	materials  = []string{"steel", "linen", "ceramic", "bamboo", "leather", "glass", "cotton", "copper"}
	nouns      = []string{"desk lamp", "stool", "kettle", "backpack", "notebook", "planter", "shelf", "blanket", "mug", "clock"}
	categories = []string{"lighting", "furniture", "kitchen", "bags", "stationery", "garden", "storage", "textiles"}
	tagWords   = []string{"new", "sale", "eco", "gift", "bestseller", "handmade", "limited", "bundle", "outlet", "premium"}
)

// demoCatalog generates n products with ids from 1, the same ones every time.
func demoCatalog(n int, put func(Product)) int {
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(words []string) string { return words[r.IntN(len(words))] }
	for i := 1; i <= n; i++ {
		tags := make([]string, 1+r.IntN(4))
		for j := range tags {
			tags[j] = pick(tagWords)
		}
		put(Product{
			ID:         i,
			SKU:        fmt.Sprintf("SKU-%08X", r.Uint32()),
			Name:       pick(adjectives) + " " + pick(materials) + " " + pick(nouns),
			Category:   pick(categories),
			PriceCents: int64(199 + r.IntN(50_000)),
			Stock:      r.IntN(500),
			Tags:       tags,
		})
	}
	return n
}
