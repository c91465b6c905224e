package main

import (
	"log"
	"net/http"
)

// Wrong fix: http.ServeMux is safe for concurrent use (it holds a sync.RWMutex), so
// registering on the live mux is not a data race. But a mux only grows: the second
// reload registers "/api/users" again, Handle panics ("conflicts with pattern"), and
// a panic on the SIGHUP goroutine kills the process. There is no way to remove a route.
type router struct {
	mux *http.ServeMux
}

func newRouter() *router {
	return &router{mux: http.NewServeMux()}
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt.mux.ServeHTTP(w, r)
}

func (rt *router) reload(file string) error {
	cfg, err := loadConfig(file)
	if err != nil {
		return err
	}
	for _, r := range cfg.Routes {
		h, err := r.handler()
		if err != nil {
			log.Printf("routes: skipping %s: %v", r.Path, err)
			continue
		}
		rt.mux.Handle(r.Path, h)
	}
	log.Printf("routes: %d routes live from %s", len(cfg.Routes), file)
	return nil
}
