package main

import (
	"log"
	"net/http"
	"sync"
)

// Another correct fix: keep the map, but build each new one off to the side and swap
// it in under a sync.RWMutex that ServeHTTP also takes (RLock) to read the pointer.
// The write lock is held only for the swap, so requests barely wait.
type router struct {
	mu     sync.RWMutex
	routes map[string]http.Handler
}

func newRouter() *router {
	return &router{routes: make(map[string]http.Handler)}
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt.mu.RLock()
	h, ok := rt.routes[r.URL.Path]
	rt.mu.RUnlock()
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
	routes := make(map[string]http.Handler, len(cfg.Routes))
	for _, r := range cfg.Routes {
		h, err := r.handler()
		if err != nil {
			return err // the old routes stay live
		}
		routes[r.Path] = h
	}
	rt.mu.Lock()
	rt.routes = routes
	rt.mu.Unlock()
	log.Printf("routes: %d routes live from %s", len(routes), file)
	return nil
}
