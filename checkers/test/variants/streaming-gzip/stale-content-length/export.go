package main

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"io"
	"net/http"
	"strconv"
	"strings"
)

const (
	defaultRows = 300_000
	maxRows     = 1_000_000
)

// Wrong fix: the gzip.Writer is wrapped around the ResponseWriter, but the Content-Length
// of the uncompressed CSV is still set. The compressed body is shorter than announced:
// net/http notices that the handler wrote fewer bytes than its Content-Length and closes
// the connection, and the client sees a truncated download. (The export is also still
// rendered in memory first.)
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
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Header().Add("Vary", "Accept-Encoding")
	var out io.Writer = w
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzip.NewWriter(w)
		defer gz.Close()
		out = gz
	}
	out.Write(buf.Bytes())
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
