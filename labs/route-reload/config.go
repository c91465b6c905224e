package main

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"text/template"
)

// config is the routes file:
//
//	{"routes": [{"path": "/api/users", "status": 200, "reply": "users of {{.Host}}"}]}
//
// reply is a text/template executed with the *http.Request.
type config struct {
	Routes []route `json:"routes"`
}

type route struct {
	Path   string `json:"path"`
	Status int    `json:"status"`
	Reply  string `json:"reply"`
}

// loadConfig reads and checks the routes file. It does not touch the live routes.
func loadConfig(file string) (*config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var cfg config
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	seen := make(map[string]bool, len(cfg.Routes))
	for _, r := range cfg.Routes {
		if !strings.HasPrefix(r.Path, "/") {
			return nil, fmt.Errorf("%s: route %q: a path starts with /", file, r.Path)
		}
		if seen[r.Path] {
			return nil, fmt.Errorf("%s: route %q is listed twice", file, r.Path)
		}
		seen[r.Path] = true
	}
	return &cfg, nil
}

// handler compiles the route's reply template into a handler.
func (r route) handler() (http.Handler, error) {
	tmpl, err := template.New(r.Path).Parse(r.Reply)
	if err != nil {
		return nil, fmt.Errorf("route %s: %w", r.Path, err)
	}
	status := r.Status
	if status == 0 {
		status = http.StatusOK
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		if err := tmpl.Execute(w, req); err != nil {
			log.Printf("route %s: %v", req.URL.Path, err)
		}
	}), nil
}
