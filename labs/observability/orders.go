package main

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"strconv"
	"sync"
)

type order struct {
	ID     int    `json:"id"`
	Item   string `json:"item"`
	Qty    int    `json:"qty"`
	Status string `json:"status"`
}

// store keeps the orders in memory; the shop opens with 100 of them.
type store struct {
	mu     sync.Mutex
	orders map[int]order
	next   int
}

func newStore() *store {
	s := &store{orders: make(map[int]order)}
	for i := 1; i <= 100; i++ {
		s.orders[i] = order{ID: i, Item: fmt.Sprintf("sku-%03d", i%17), Qty: 1 + i%3, Status: "shipped"}
	}
	s.next = 101
	return s
}

// list answers GET /orders: the 20 most recent orders.
func (s *store) list(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	recent := make([]order, 0, 20)
	for id := s.next - 1; id > 0 && len(recent) < 20; id-- {
		if o, ok := s.orders[id]; ok {
			recent = append(recent, o)
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, recent)
}

// get answers GET /orders/{id}.
func (s *store) get(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such order"})
		return
	}
	s.mu.Lock()
	o, ok := s.orders[id]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such order"})
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func (s *store) add(item string, qty int) order {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := order{ID: s.next, Item: item, Qty: qty, Status: "reserved"}
	s.orders[o.ID] = o
	s.next++
	return o
}

// createOrder answers POST /orders {"item": "...", "qty": n}: the inventory service
// reserves the stock first; 201 with the order, or 502 when the inventory fails.
func createOrder(s *store, inv *inventory) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Item string `json:"item"`
			Qty  int    `json:"qty"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&in); err != nil || in.Item == "" || in.Qty < 1 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "want {\"item\": \"...\", \"qty\": n}"})
			return
		}
		if err := inv.reserve(r.Context(), in.Item, in.Qty); err != nil {
			log.Printf("order for %s: %v", in.Item, err)
			writeJSON(w, http.StatusBadGateway, map[string]string{"error": "inventory unavailable"})
			return
		}
		writeJSON(w, http.StatusCreated, s.add(in.Item, in.Qty))
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
