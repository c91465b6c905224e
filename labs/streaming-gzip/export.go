package main

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strconv"
)

const (
	defaultRows = 300_000
	maxRows     = 1_000_000
)

// exportHandler answers GET /export?rows=N with the first N inventory rows as CSV.
func exportHandler(w http.ResponseWriter, r *http.Request) {
	n, err := rowsParam(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}

	// Load every row, render the whole file, then send it with its length.
	items := loadAll(n)
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.Write(csvHeader)
	for _, it := range items {
		cw.Write(it.record())
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}

	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="inventory.csv"`)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
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
