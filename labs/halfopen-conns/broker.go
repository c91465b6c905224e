package main

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
)

// broker hands each published message to the subscribers waiting on its channel.
type broker struct {
	mu      sync.Mutex
	waiting map[string]map[chan string]struct{}
	count   int // subscribers waiting, all channels
}

func newBroker() *broker {
	return &broker{waiting: make(map[string]map[chan string]struct{})}
}

// subscribe registers a waiter on channel. The returned function unregisters it and must
// be called once the waiter is done, whatever the outcome.
func (b *broker) subscribe(channel string) (<-chan string, func()) {
	ch := make(chan string, 1)
	b.mu.Lock()
	if b.waiting[channel] == nil {
		b.waiting[channel] = make(map[chan string]struct{})
	}
	b.waiting[channel][ch] = struct{}{}
	b.count++
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		if _, ok := b.waiting[channel][ch]; ok {
			delete(b.waiting[channel], ch)
			b.count--
			if len(b.waiting[channel]) == 0 {
				delete(b.waiting, channel)
			}
		}
		b.mu.Unlock()
	}
}

// publish delivers msg to every subscriber waiting on channel and returns how many got it.
func (b *broker) publish(channel, msg string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for ch := range b.waiting[channel] {
		select {
		case ch <- msg:
			n++
		default: // already holds a message it has not collected yet
		}
	}
	return n
}

func (b *broker) subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.count
}

// handleSubscribe is the long poll: GET /subscribe?channel=NAME waits until a message is
// published on NAME and answers it as the body.
func (b *broker) handleSubscribe(w http.ResponseWriter, r *http.Request) {
	channel := r.URL.Query().Get("channel")
	if channel == "" {
		http.Error(w, "missing ?channel=", http.StatusBadRequest)
		return
	}
	msgs, done := b.subscribe(channel)
	defer done()
	select {
	case msg := <-msgs:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, msg)
	case <-r.Context().Done():
		// The client went away: net/http cancels the request's context when the
		// connection is closed, so the waiter is cleaned up here.
	}
}

// handlePublish: POST /publish?channel=NAME with the message as the body.
func (b *broker) handlePublish(w http.ResponseWriter, r *http.Request) {
	channel := r.URL.Query().Get("channel")
	if channel == "" {
		http.Error(w, "missing ?channel=", http.StatusBadRequest)
		return
	}
	msg, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		http.Error(w, "could not read the message", http.StatusBadRequest)
		return
	}
	n := b.publish(channel, string(msg))
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]int{"delivered": n})
}

// handleStats: GET /stats, what the dashboards graph.
func (b *broker) handleStats(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]int{"subscribers": b.subscribers()})
}
