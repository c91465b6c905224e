// The product cache: every product of the catalog, by id, for the life of the process.
// It is filled once at start-up, before the server listens, and only read afterwards,
// so it needs no lock.
package main

// Cache maps a product id to its product.
type Cache struct {
	byID map[int]*Product
}

func NewCache() *Cache {
	return &Cache{byID: make(map[int]*Product)}
}

// Put stores one product. loadCatalog calls it once per product at start-up.
func (c *Cache) Put(p Product) {
	c.byID[p.ID] = &p
}

// Get returns the product with this id.
func (c *Cache) Get(id int) (*Product, bool) {
	p, ok := c.byID[id]
	return p, ok
}

// Len is the number of products.
func (c *Cache) Len() int {
	return len(c.byID)
}
