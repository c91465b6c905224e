package main

import (
	"log"
	"net/http"
	"sync"
)

// Wrong fix: register on the live http.ServeMux, but only the patterns it does not have
// yet, so nothing panics and nothing races. New routes go live; removed routes never go
// away, because ServeMux has no method to unregister a pattern.
type router struct {
	mux        *http.ServeMux
	mu         sync.Mutex
	registered map[string]bool
}

func newRouter() *router {
	return &router{mux: http.NewServeMux(), registered: make(map[string]bool)}
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt.mux.ServeHTTP(w, r)
}

func (rt *router) reload(file string) error {
	cfg, err := loadConfig(file)
	if err != nil {
		return err
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	added := 0
	for _, r := range cfg.Routes {
		if rt.registered[r.Path] {
			continue
		}
		h, err := r.handler()
		if err != nil {
			log.Printf("routes: skipping %s: %v", r.Path, err)
			continue
		}
		rt.mux.Handle(r.Path, h)
		rt.registered[r.Path] = true
		added++
	}
	log.Printf("routes: %d new routes from %s", added, file)
	return nil
}
