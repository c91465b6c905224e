package main

import (
	"bufio"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// The job queue behind POST /jobs.
//
// A job is accepted into an in-memory queue (POST /jobs answers 202 at once) and a single
// worker runs the jobs one at a time, jobDuration each. Two files in the jobs directory
// ($JOBS_DIR) make the queue durable, and the checker reads both:
//
//   - done.log: the worker appends the id of every finished job, one per line;
//   - pending.jsonl: Persist writes the jobs still queued, one JSON object per line; the next
//     process loads them back (NewQueue) and removes the file.
//
// A job that is only in memory when the process dies is lost: neither done nor pending.

// Job is one unit of work: render a report for Payload.
type Job struct {
	ID      string `json:"id"`
	Payload string `json:"payload"`
}

const jobDuration = 100 * time.Millisecond

var (
	ErrQueueFull   = errors.New("job queue is full")
	ErrQueueClosed = errors.New("job queue is closed")
)

// Queue is a bounded in-memory job queue with a done journal.
type Queue struct {
	dir     string
	journal *os.File
	jobs    chan Job

	mu     sync.Mutex // guards closed, and every send on jobs
	closed bool
}

// NewQueue opens (or creates) the jobs directory and loads the jobs a previous process
// persisted there.
func NewQueue(dir string, capacity int) (*Queue, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	journal, err := os.OpenFile(filepath.Join(dir, "done.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	q := &Queue{dir: dir, journal: journal, jobs: make(chan Job, capacity)}
	if err := q.loadPending(); err != nil {
		return nil, err
	}
	return q, nil
}

// Submit queues a job. It fails with ErrQueueFull when the queue is full and with
// ErrQueueClosed once Close (or Persist) has been called.
func (q *Queue) Submit(payload string) (Job, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return Job{}, ErrQueueClosed
	}
	j := Job{ID: "job-" + strings.ToLower(rand.Text()[:8]), Payload: payload}
	select {
	case q.jobs <- j:
		return j, nil
	default:
		return Job{}, ErrQueueFull
	}
}

// Run is the worker: it runs queued jobs one at a time. It returns
//   - when stop is closed: after finishing the job in hand; jobs still queued stay queued;
//   - when the queue has been closed (Close) and every queued job has run.
//
// A nil stop channel never fires.
func (q *Queue) Run(stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		select {
		case <-stop:
			return
		case j, ok := <-q.jobs:
			if !ok {
				return
			}
			q.process(j)
		}
	}
}

// process runs one job and records it in done.log.
func (q *Queue) process(j Job) {
	time.Sleep(jobDuration) // stands for rendering the report
	// One write(2) per line on an O_APPEND file: a finished job is on disk (in the page
	// cache, which survives the process) before the worker takes the next one.
	if _, err := fmt.Fprintf(q.journal, "%s\n", j.ID); err != nil {
		fmt.Fprintf(os.Stderr, "journal: %v\n", err)
	}
}

// Close stops accepting jobs: Submit fails with ErrQueueClosed from now on. A running Run
// keeps working the jobs already queued and returns once the queue is empty.
// Call it only when no handler can still call Submit.
func (q *Queue) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.closed = true
		close(q.jobs)
	}
}

// Persist closes the queue and writes every job still in it to pending.jsonl, for the next
// process to run. It returns how many jobs it wrote.
//
// Call it after Run has returned: the job the worker is holding is no longer in the queue,
// so Persist cannot save it.
func (q *Queue) Persist() (int, error) {
	q.Close()
	var pending []Job
	for j := range q.jobs {
		pending = append(pending, j)
	}
	path := filepath.Join(q.dir, "pending.jsonl")
	if len(pending) == 0 {
		return 0, nil
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, j := range pending {
		if err := enc.Encode(j); err != nil {
			f.Close()
			return 0, err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	return len(pending), os.Rename(tmp, path)
}

// loadPending queues the jobs a previous process persisted, then removes the file.
func (q *Queue) loadPending() error {
	path := filepath.Join(q.dir, "pending.jsonl")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for line := range strings.Lines(string(data)) {
		var j Job
		if err := json.Unmarshal([]byte(line), &j); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		select {
		case q.jobs <- j:
		default:
			return fmt.Errorf("%s: more pending jobs than the queue holds", path)
		}
	}
	return os.Remove(path)
}

// jobsHandler is POST /jobs: the request body (at most 1 KiB) is the job's payload.
// It answers 202 Accepted with {"id": "..."} once the job is queued.
func jobsHandler(q *Queue) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		payload, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<10))
		if err != nil {
			http.Error(w, "payload too large", http.StatusRequestEntityTooLarge)
			return
		}
		j, err := q.Submit(string(payload))
		if err != nil {
			w.Header().Set("Retry-After", "1")
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		json.NewEncoder(w).Encode(map[string]string{"id": j.ID})
	}
}
