package main

import (
	"log"
	"net/http"
	"sync"
)

// Wrong fix: sync.Map makes each Load, Store and Delete safe, so the race detector is
// quiet and the process no longer dies. But reload still empties the table and fills it
// again one route at a time, and requests that arrive in between get 404.
type router struct {
	routes sync.Map // path -> http.Handler
}

func newRouter() *router {
	return &router{}
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, ok := rt.routes.Load(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	h.(http.Handler).ServeHTTP(w, r)
}

func (rt *router) reload(file string) error {
	cfg, err := loadConfig(file)
	if err != nil {
		return err
	}
	rt.routes.Range(func(k, _ any) bool {
		rt.routes.Delete(k)
		return true
	})
	n := 0
	for _, r := range cfg.Routes {
		h, err := r.handler()
		if err != nil {
			log.Printf("routes: skipping %s: %v", r.Path, err)
			continue
		}
		rt.routes.Store(r.Path, h)
		n++
	}
	log.Printf("routes: %d routes live from %s", n, file)
	return nil
}
