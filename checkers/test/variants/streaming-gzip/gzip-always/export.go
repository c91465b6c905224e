package main

import (
	"compress/gzip"
	"encoding/csv"
	"io"
	"log"
	"net/http"
	"strconv"
	"strings"
)

const (
	defaultRows = 300_000
	maxRows     = 1_000_000
	// flushEvery rows, what has been rendered goes to the client even if the buffers are
	// not full: a client of a slow query sees progress instead of silence.
	flushEvery = 5_000
)

// Wrong fix: it streams, and it compresses every response, "because every browser accepts
// gzip". curl, scripts and many HTTP libraries do not send Accept-Encoding: they receive
// gzip bytes they never asked for and save them as inventory.csv.
//
// exportHandler answers GET /export?rows=N with the first N inventory rows as CSV.
//
// It streams: each row is rendered into a 4 KiB csv.Writer buffer, which flows into the
// gzip.Writer (when the client asked for gzip) and the ResponseWriter's own 4 KiB buffer,
// then onto the connection. Memory does not depend on N, and the response starts at once.
// There is no Content-Length: the length is not known until the end, so net/http uses
// chunked transfer coding.
func exportHandler(w http.ResponseWriter, r *http.Request) {
	n, err := rowsParam(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}

	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="inventory.csv"`)
	// The body depends on Accept-Encoding: say so to every cache on the way, on both answers.
	h.Add("Vary", "Accept-Encoding")

	var out io.Writer = w
	var gz *gzip.Writer
	{
		h.Set("Content-Encoding", "gzip")
		gz = gzip.NewWriter(w)
		out = gz
	}
	rc := http.NewResponseController(w)
	cw := csv.NewWriter(out)
	flush := func() error {
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		if gz != nil {
			if err := gz.Flush(); err != nil {
				return err
			}
		}
		return rc.Flush()
	}

	cw.Write(csvHeader)
	if err := flush(); err != nil { // the status line and headers leave now
		return
	}
	rows := 0
	err = scan(n, func(it item) error {
		if err := cw.Write(it.record()); err != nil {
			return err
		}
		if rows++; rows%flushEvery == 0 {
			return flush()
		}
		return nil
	})
	if err == nil {
		cw.Flush()
		err = cw.Error()
	}
	if err == nil && gz != nil {
		err = gz.Close() // writes the last block and the gzip trailer (CRC-32, length)
	}
	if err != nil {
		// The status is sent already; the client went away, or writing failed. Make sure
		// the client cannot mistake what it got for a complete export: abort the response.
		log.Printf("export: %d of %d rows sent: %v", rows, n, err)
		panic(http.ErrAbortHandler)
	}
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip: "gzip" or "*" listed
// with a q-value above 0 ("gzip;q=0" forbids it).
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "x-gzip" && coding != "*" {
			continue
		}
		q := 1.0
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(k) == "q" {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				q = f
			}
		}
		return q > 0
	}
	return false
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
