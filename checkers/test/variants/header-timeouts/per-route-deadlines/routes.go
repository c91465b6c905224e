package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"sync/atomic"
	"time"
)

const (
	maxNoteBytes   = 4 << 10                // a note is a small JSON document
	maxUploadBytes = 64 << 20               // an uploaded file
	exportBatches  = 32                     // the export is produced in batches ...
	exportBatch    = 100                    // ... of 100 rows ...
	exportPace     = 250 * time.Millisecond // ... one batch every 250 ms (a slow query): about 8 s in all
)

// routes are the service's endpoints. What they return is the contract with the
// clients (and with the checker): change how long they may take, not what they say.
func routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /", bounded(5*time.Second, index))
	mux.Handle("POST /notes", bounded(5*time.Second, createNote))
	mux.HandleFunc("POST /upload", upload)
	mux.HandleFunc("GET /export", export)
	return mux
}

// bounded gives a route the deadlines the server no longer sets globally: the
// request body must be in, and the response out, within d.
func bounded(d time.Duration, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		deadline := time.Now().Add(d)
		if err := rc.SetReadDeadline(deadline); err != nil {
			log.Printf("bounded: %v", err)
		}
		if err := rc.SetWriteDeadline(deadline); err != nil {
			log.Printf("bounded: %v", err)
		}
		h(w, r)
	})
}

// progressReader moves the read deadline forward on every read: an upload may
// take as long as it needs, as long as it never stalls for more than stall.
type progressReader struct {
	r     io.Reader
	rc    *http.ResponseController
	stall time.Duration
}

func (p *progressReader) Read(b []byte) (int, error) {
	if err := p.rc.SetReadDeadline(time.Now().Add(p.stall)); err != nil {
		return 0, err
	}
	return p.r.Read(b)
}

func index(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "docs: POST /notes, POST /upload, GET /export\n")
}

var lastNote atomic.Int64

// createNote stores a small JSON note: {"text": "..."}.
func createNote(w http.ResponseWriter, r *http.Request) {
	var note struct {
		Text string `json:"text"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxNoteBytes)).Decode(&note); err != nil {
		http.Error(w, "bad note: "+err.Error(), http.StatusBadRequest)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": lastNote.Add(1)})
}

// upload receives a file as the raw request body and answers with its size and
// SHA-256, so that the client can check that every byte arrived. (A real service
// would also store it; this one only hashes it.) Mobile clients upload slowly.
func upload(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	h := sha256.New()
	rc := http.NewResponseController(w)
	body := &progressReader{r: http.MaxBytesReader(w, r.Body, maxUploadBytes), rc: rc, stall: 5 * time.Second}
	n, err := io.Copy(h, body)
	rc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err != nil {
		log.Printf("upload: %v after %d bytes, %v", err, n, time.Since(start).Round(time.Millisecond))
		http.Error(w, "upload failed: "+err.Error(), http.StatusBadRequest)
		return
	}
	log.Printf("upload: %d bytes in %v", n, time.Since(start).Round(time.Millisecond))
	writeJSON(w, http.StatusOK, map[string]any{"bytes": n, "sha256": hex.EncodeToString(h.Sum(nil))})
}

// export streams a CSV report as it is produced, batch by batch, flushing each
// batch so that the client sees progress. The whole export takes about 8 s.
func export(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	io.WriteString(w, "id,sku,qty\n")
	for b := 0; b < exportBatches; b++ {
		if b > 0 {
			select {
			case <-time.After(exportPace): // the next batch of the slow query
			case <-r.Context().Done():
				return
			}
		}
		if err := rc.SetWriteDeadline(time.Now().Add(5 * time.Second)); err != nil {
			log.Printf("export: %v", err)
			return
		}
		buf := make([]byte, 0, exportBatch*24)
		for i := b*exportBatch + 1; i <= (b+1)*exportBatch; i++ {
			buf = fmt.Appendf(buf, "%d,sku-%05d,%d\n", i, i, i*7919%1000)
		}
		if _, err := w.Write(buf); err != nil {
			log.Printf("export: %v after %d batches, %v", err, b, time.Since(start).Round(time.Millisecond))
			return
		}
		if err := rc.Flush(); err != nil {
			log.Printf("export: %v after %d batches, %v", err, b, time.Since(start).Round(time.Millisecond))
			return
		}
	}
	log.Printf("export: %d rows in %v", exportBatches*exportBatch, time.Since(start).Round(time.Millisecond))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
