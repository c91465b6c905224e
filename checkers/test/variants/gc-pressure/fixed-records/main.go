// gc-pressure: the product API of a shop. The whole catalog lives in memory (cache.go);
// GET /products?ids=12,7,31 answers those products as a JSON array, in the order asked.
//
// It answers correctly. It also allocates hundreds of kilobytes for every ~8 KiB answer,
// and keeps the catalog in a form the garbage collector has to walk, pointer by pointer,
// on every cycle.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// maxIDs bounds one request: a client may ask for up to 100 products at once.
const maxIDs = 100

type server struct {
	cache *Cache
}

// products answers GET /products?ids=1,2,3: 200 and a JSON array of the products, in the
// order asked; 400 for a malformed list, 404 when an id is not in the catalog.
//
// No pool: one buffer per request, sized for a typical answer up front, and every value
// appended into it with strconv.Append*: one allocation of 8 KiB per request, no copies.
func (s *server) products(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.Query().Get("ids")
	if raw == "" {
		http.Error(w, `{"error":"ids is required"}`, http.StatusBadRequest)
		return
	}
	if strings.Count(raw, ",")+1 > maxIDs {
		http.Error(w, fmt.Sprintf(`{"error":"at most %d ids"}`, maxIDs), http.StatusBadRequest)
		return
	}
	b := make([]byte, 0, 8<<10)
	b = append(b, '[')
	for i, rest := 0, raw; rest != ""; i++ {
		var field string
		field, rest, _ = strings.Cut(rest, ",")
		id, err := strconv.Atoi(field)
		if err != nil {
			http.Error(w, fmt.Sprintf(`{"error":"bad id %q"}`, field), http.StatusBadRequest)
			return
		}
		if i > 0 {
			b = append(b, ',')
		}
		var ok bool
		if b, ok = s.cache.AppendJSON(b, id); !ok {
			http.Error(w, fmt.Sprintf(`{"error":"unknown product %d"}`, id), http.StatusNotFound)
			return
		}
	}
	b = append(b, ']')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	catalog := os.Getenv("CATALOG")
	if catalog == "" {
		catalog = "catalog.jsonl"
	}
	startAdmin()

	cache := NewCache()
	t0 := time.Now()
	n, err := loadCatalog(catalog, cache.Put)
	if err != nil {
		log.Fatalf("catalog: %v", err)
	}
	log.Printf("catalog: %d products in %s", n, time.Since(t0).Round(time.Millisecond))

	s := &server{cache: cache}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /products", s.products)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "ok: %d products\n", cache.Len())
	})
	srv := &http.Server{
		Addr:              addr,
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	log.Printf("listening on %s", addr)
	log.Fatal(srv.ListenAndServe())
}
