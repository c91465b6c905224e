// gc-pressure: the product API of a shop. The whole catalog lives in memory (cache.go);
// GET /products?ids=12,7,31 answers those products as a JSON array, in the order asked.
//
// Fixed: the catalog is kept as pre-rendered JSON in one pointer-free arena (cache.go), so
// the garbage collector has almost nothing to scan; an answer is assembled in a pooled
// buffer by copying those bytes, so a request allocates a few kilobytes, most of them in
// net/http itself.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxIDs bounds one request: a client may ask for up to 100 products at once.
const maxIDs = 100

type server struct {
	cache *Cache
}

// bufs holds response buffers between requests. A *bytes.Buffer goes in and out of the
// pool as a pointer, so Put does not allocate; a buffer keeps its grown capacity, so after the
// first few requests building an answer allocates nothing. (The pool is emptied gradually by
// the GC: an idle buffer survives one cycle in the victim cache, then it is freed.)
var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooled: a buffer that grew larger than this (an unusually big answer) is dropped
// instead of being kept for every later request.
const maxPooled = 64 << 10

// products answers GET /products?ids=1,2,3: 200 and a JSON array of the products, in the
// order asked; 400 for a malformed list, 404 when an id is not in the catalog.
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
	buf := bufs.Get().(*bytes.Buffer)
	buf.Reset()
	// Put only after w.Write has returned: until then the answer is still being read from
	// buf, and a buffer in the pool may be handed to another request at any moment.
	defer func() {
		if buf.Cap() <= maxPooled {
			bufs.Put(buf)
		}
	}()
	buf.WriteByte('[')
	// strings.Cut walks the list without building a []string.
	for i, rest := 0, raw; rest != ""; i++ {
		var field string
		field, rest, _ = strings.Cut(rest, ",")
		id, err := strconv.Atoi(field)
		if err != nil {
			http.Error(w, fmt.Sprintf(`{"error":"bad id %q"}`, field), http.StatusBadRequest)
			return
		}
		p, ok := s.cache.Get(id)
		if !ok {
			http.Error(w, fmt.Sprintf(`{"error":"unknown product %d"}`, id), http.StatusNotFound)
			return
		}
		b, err := json.Marshal(p)
		if err != nil {
			http.Error(w, `{"error":"internal"}`, http.StatusInternalServerError)
			return
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(b)
	}
	buf.WriteByte(']')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
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
