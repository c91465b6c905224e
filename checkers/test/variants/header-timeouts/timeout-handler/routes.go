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
	uploadDeadline = 2 * time.Minute        // the largest file must arrive within 2 minutes
	exportBatches  = 32                     // the export is produced in batches ...
	exportBatch    = 100                    // ... of 100 rows ...
	exportPace     = 250 * time.Millisecond // ... one batch every 250 ms (a slow query): about 8 s in all
)

// routes are the service's endpoints. What they return is the contract with the
// clients (and with the checker): change how long they may take, not what they say.
func routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", index)
	mux.HandleFunc("POST /notes", createNote)
	mux.HandleFunc("POST /upload", upload)
	// Wrong fix: give the export its own 30 s budget with http.TimeoutHandler.
	// It runs the handler against a buffer (no Flush), and it does not touch
	// the connection's write deadline.
	mux.Handle("GET /export", http.TimeoutHandler(http.HandlerFunc(export), 30*time.Second, "export timed out"))
	return mux
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
	// This route's own deadlines replace the server's ReadTimeout and WriteTimeout
	// for this request. Set them first: a deadline that has already passed cannot
	// be extended. The write deadline covers the answer sent after the body.
	rc := http.NewResponseController(w)
	if err := rc.SetReadDeadline(start.Add(uploadDeadline)); err != nil {
		log.Printf("upload: %v", err)
	}
	if err := rc.SetWriteDeadline(start.Add(uploadDeadline + 5*time.Second)); err != nil {
		log.Printf("upload: %v", err)
	}
	h := sha256.New()
	n, err := io.Copy(h, http.MaxBytesReader(w, r.Body, maxUploadBytes))
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
