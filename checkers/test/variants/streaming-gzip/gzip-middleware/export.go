package main

import (
	"encoding/csv"
	"log"
	"net/http"
	"strconv"
)

const (
	defaultRows = 300_000
	maxRows     = 1_000_000
)

// Another correct fix: the handler only streams plain CSV, and compression is a middleware
// (gzip.go) wrapped around the mux in main.go. The handler does not know about gzip; the
// middleware negotiates, labels, and compresses whatever is written, and forwards Flush.
func exportHandler(w http.ResponseWriter, r *http.Request) {
	n, err := rowsParam(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="inventory.csv"`)
	rc := http.NewResponseController(w)
	cw := csv.NewWriter(w)
	cw.Write(csvHeader)
	cw.Flush()
	rc.Flush()
	err = scan(n, func(it item) error {
		cw.Write(it.record())
		return cw.Error()
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	if err != nil {
		log.Printf("export: %v", err)
		panic(http.ErrAbortHandler)
	}
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
