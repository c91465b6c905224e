package main

import (
	"log"
	"net/http"
	"sync"
)

// Wrong fix: the mutex serialises reloads with each other, but ServeHTTP reads the map
// without taking it, so a read and a write still happen at the same time. A lock only
// protects data when every access, reads included, takes it.
type router struct {
	mu     sync.Mutex
	routes map[string]http.Handler
}

func newRouter() *router {
	return &router{routes: make(map[string]http.Handler)}
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, ok := rt.routes[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h.ServeHTTP(w, r)
}

func (rt *router) reload(file string) error {
	cfg, err := loadConfig(file)
	if err != nil {
		return err
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	for path := range rt.routes {
		delete(rt.routes, path)
	}
	for _, r := range cfg.Routes {
		h, err := r.handler()
		if err != nil {
			log.Printf("routes: skipping %s: %v", r.Path, err)
			continue
		}
		rt.routes[r.Path] = h
	}
	log.Printf("routes: %d routes live from %s", len(rt.routes), file)
	return nil
}
