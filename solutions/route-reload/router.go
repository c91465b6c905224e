package main

import (
	"fmt"
	"log"
	"net/http"
	"sync/atomic"
)

// router serves the routes of the last config that loaded completely.
//
// A reload never changes anything a request can see: it builds a whole new
// http.ServeMux off to the side and publishes it with one atomic Store. ServeHTTP
// does one atomic Load and then works with that mux only, so a request sees the old
// routes or the new ones, never half of each, and the race detector has nothing to
// report: the Store happens before every Load that returns the new mux.
type router struct {
	mux atomic.Pointer[http.ServeMux]
}

func newRouter() *router {
	rt := &router{}
	rt.mux.Store(http.NewServeMux()) // no routes yet: everything is 404
	return rt
}

// ServeHTTP runs on every connection's goroutine, many at a time.
func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt.mux.Load().ServeHTTP(w, r)
}

// reload reads the routes file and makes its routes the live ones. If anything in the
// file is wrong, the old routes stay live.
func (rt *router) reload(file string) error {
	cfg, err := loadConfig(file)
	if err != nil {
		return err
	}
	mux, err := buildMux(cfg)
	if err != nil {
		return err
	}
	rt.mux.Store(mux) // the only write, and it is atomic
	log.Printf("routes: %d routes live from %s", len(cfg.Routes), file)
	return nil
}

// buildMux registers every route of cfg on a new ServeMux, which nobody serves yet.
// ServeMux.Handle panics on an invalid or conflicting pattern; that becomes an error,
// so that a bad file cannot take the process down.
func buildMux(cfg *config) (mux *http.ServeMux, err error) {
	defer func() {
		if p := recover(); p != nil {
			mux, err = nil, fmt.Errorf("routes: %v", p)
		}
	}()
	mux = http.NewServeMux()
	for _, r := range cfg.Routes {
		h, err := r.handler()
		if err != nil {
			return nil, err
		}
		mux.Handle(r.Path, h)
	}
	return mux, nil
}
