// The product cache, as fixed-size values without pointers: a product's strings are copied
// into byte arrays inside the record, categories and tags (a few distinct words) are interned
// into small tables and stored as one-byte indexes. map[int]record then holds no pointer at
// all, so its tables are allocated as noscan memory: the GC never looks inside them.
package main

import (
	"log"
	"strconv"
)

const (
	maxSKU  = 16
	maxName = 48
	maxTags = 4
)

type record struct {
	price    int64
	stock    int32
	category uint8
	nTags    uint8
	skuLen   uint8
	nameLen  uint8
	tags     [maxTags]uint8
	sku      [maxSKU]byte
	name     [maxName]byte
}

// words interns the few distinct category and tag words (a table of strings: scanned, but tiny).
type words struct {
	list  []string
	index map[string]uint8
}

func (w *words) id(s string) uint8 {
	if i, ok := w.index[s]; ok {
		return i
	}
	if len(w.list) == 256 {
		log.Fatalf("more than 256 distinct words")
	}
	w.index[s] = uint8(len(w.list))
	w.list = append(w.list, s)
	return uint8(len(w.list) - 1)
}

type Cache struct {
	byID       map[int]record
	categories words
	tags       words
}

func NewCache() *Cache {
	return &Cache{
		byID:       make(map[int]record),
		categories: words{index: map[string]uint8{}},
		tags:       words{index: map[string]uint8{}},
	}
}

// Put copies one product into a record. Products whose strings do not fit are fatal here;
// a real service would size the arrays from its data, or fall back to an arena.
func (c *Cache) Put(p Product) {
	if len(p.SKU) > maxSKU || len(p.Name) > maxName || len(p.Tags) > maxTags {
		log.Fatalf("product %d does not fit a fixed-size record", p.ID)
	}
	r := record{price: p.PriceCents, stock: int32(p.Stock), category: c.categories.id(p.Category), nTags: uint8(len(p.Tags))}
	r.skuLen = uint8(copy(r.sku[:], p.SKU))
	r.nameLen = uint8(copy(r.name[:], p.Name))
	for i, t := range p.Tags {
		r.tags[i] = c.tags.id(t)
	}
	c.byID[p.ID] = r
}

// AppendJSON appends the product's JSON (as encoding/json writes a Product) to b.
func (c *Cache) AppendJSON(b []byte, id int) ([]byte, bool) {
	r, ok := c.byID[id]
	if !ok {
		return b, false
	}
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(id), 10)
	b = append(b, `,"sku":`...)
	b = appendString(b, r.sku[:r.skuLen])
	b = append(b, `,"name":`...)
	b = appendString(b, r.name[:r.nameLen])
	b = append(b, `,"category":`...)
	b = appendString(b, []byte(c.categories.list[r.category]))
	b = append(b, `,"price_cents":`...)
	b = strconv.AppendInt(b, r.price, 10)
	b = append(b, `,"stock":`...)
	b = strconv.AppendInt(b, int64(r.stock), 10)
	b = append(b, `,"tags":[`...)
	for i := range int(r.nTags) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, []byte(c.tags.list[r.tags[i]]))
	}
	return append(b, "]}"...), true
}

// appendString appends s as a JSON string: quotes, backslashes and control bytes escaped.
func appendString(b, s []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, ch := range s {
		switch {
		case ch == '"' || ch == '\\':
			b = append(b, '\\', ch)
		case ch < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[ch>>4], hex[ch&0xf])
		default:
			b = append(b, ch)
		}
	}
	return append(b, '"')
}

func (c *Cache) Len() int {
	return len(c.byID)
}
