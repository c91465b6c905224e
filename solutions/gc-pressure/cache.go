// The product cache: every product of the catalog, by id, for the life of the process.
// It is filled once at start-up, before the server listens, and only read afterwards,
// so it needs no lock.
//
// Each product is rendered to JSON once, at start-up, and appended to one big []byte (the
// arena); the index maps an id to where its JSON sits in the arena. Neither holds a pointer:
// a []byte's backing array and a map whose keys and values are plain integers are allocated
// as "noscan" memory, so the garbage collector marks each of them as one object and never
// looks inside. 100,000 products are three objects (the arena, the map's tables), not 700,000.
package main

import (
	"encoding/json"
	"log"
)

// span locates one product's JSON in the arena. Two uint32 and no pointer.
type span struct {
	off, len uint32
}

// Cache maps a product id to its pre-rendered JSON.
type Cache struct {
	arena []byte
	index map[int]span
}

func NewCache() *Cache {
	return &Cache{index: make(map[int]span)}
}

// Put renders one product and appends it to the arena. loadCatalog calls it once per
// product at start-up. (The arena doubles as it grows; the old copies become garbage once,
// at start-up, not on every request.)
func (c *Cache) Put(p Product) {
	b, err := json.Marshal(p)
	if err != nil {
		log.Fatalf("product %d: %v", p.ID, err)
	}
	c.index[p.ID] = span{off: uint32(len(c.arena)), len: uint32(len(b))}
	c.arena = append(c.arena, b...)
}

// JSON returns the product's JSON. The slice aliases the arena: read it, never modify or
// keep it.
func (c *Cache) JSON(id int) ([]byte, bool) {
	s, ok := c.index[id]
	if !ok {
		return nil, false
	}
	return c.arena[s.off : s.off+s.len : s.off+s.len], true
}

// Len is the number of products.
func (c *Cache) Len() int {
	return len(c.index)
}
