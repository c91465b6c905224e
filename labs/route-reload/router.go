package main

import (
	"log"
	"net/http"
)

// router maps a request path to the handler of its route.
type router struct {
	routes map[string]http.Handler
}

func newRouter() *router {
	return &router{routes: make(map[string]http.Handler)}
}

// ServeHTTP runs on every connection's goroutine, many at a time.
func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, ok := rt.routes[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h.ServeHTTP(w, r)
}

// reload reads the routes file and makes its routes the live ones. It runs on the
// SIGHUP goroutine while ServeHTTP keeps running on the others.
func (rt *router) reload(file string) error {
	cfg, err := loadConfig(file)
	if err != nil {
		return err
	}
	// Forget the routes of the previous file...
	for path := range rt.routes {
		delete(rt.routes, path)
	}
	// ...and register the new ones.
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
