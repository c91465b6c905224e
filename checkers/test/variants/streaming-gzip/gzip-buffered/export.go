package main

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
)

const (
	defaultRows = 300_000
	maxRows     = 1_000_000
)

// Wrong fix: compression is added, correctly negotiated and labelled, but on top of the
// buffered export: the whole CSV is still rendered in memory (and then compressed into a
// second buffer) before the first byte leaves. Fewer bytes on the wire, same memory per
// download, and an even later first byte.
func exportHandler(w http.ResponseWriter, r *http.Request) {
	n, err := rowsParam(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	items := loadAll(n)
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.Write(csvHeader)
	for _, it := range items {
		cw.Write(it.record())
	}
	cw.Flush()

	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="inventory.csv"`)
	w.Header().Add("Vary", "Accept-Encoding")
	body := buf.Bytes()
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		var zbuf bytes.Buffer
		gz := gzip.NewWriter(&zbuf)
		gz.Write(body)
		gz.Close()
		w.Header().Set("Content-Encoding", "gzip")
		body = zbuf.Bytes()
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

// rowsParam reads ?rows=N (default defaultRows, at most maxRows).
func rowsParam(r *http.Request) (int, error) {
	s := r.URL.Query().Get("rows")
	if s == "" {
		return defaultRows, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > maxRows {
		return 0, errBadRows
	}
	return n, nil
}

var errBadRows = badRequest("rows must be an integer from 0 to " + strconv.Itoa(maxRows))

type badRequest string

func (e badRequest) Error() string { return string(e) }
