//go:build ignore

// Probe: time-sensitive code. Timers, sleeps and context deadlines (run by the Go runtime in
// both options), and the speed of the program's own code: a CPU loop in the handler's
// language (interpreted or compiled), and a handler doing ~that work per request.
// Durations are printed as measured; the bench compares them, it does not expect exact values.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"time"
)

func msf(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }

// work is the kind of loop a handler runs: hashing keys, summing prices.
func work(n int) uint64 {
	var acc uint64
	for i := 0; i < n; i++ {
		h := fnv.New64a()
		fmt.Fprintf(h, "sku-%d", i)
		acc += h.Sum64() % 1000
	}
	return acc
}

// spin is pure interpreted arithmetic, no library calls.
func spin(n int) int {
	x := 0
	for i := 0; i < n; i++ {
		x = (x*31 + i) % 1000003
	}
	return x
}

// ticks counts a ticker's ticks in a window (a return, not a labeled break out of the select:
// that one hangs yaegi, lang/labeled_break_select.go).
func ticks(every, window time.Duration) int {
	tk := time.NewTicker(every)
	defer tk.Stop()
	deadline := time.After(window)
	n := 0
	for {
		select {
		case <-tk.C:
			n++
		case <-deadline:
			return n
		}
	}
}

type order struct {
	ID    int      `json:"id"`
	Items []string `json:"items"`
	Cents int      `json:"cents"`
}

func main() {
	t0 := time.Now()
	for i := 0; i < 10; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Printf("PROBE sleep_10x20ms.total_ms %s\n", msf(time.Since(t0)))

	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	t0 = time.Now()
	<-ctx.Done()
	cancel()
	fmt.Printf("PROBE ctx_timeout_150ms.fired_ms %s\n", msf(time.Since(t0)))

	fmt.Printf("PROBE ticker_25ms_in_500ms.ticks %d\n", ticks(25*time.Millisecond, 500*time.Millisecond))

	t0 = time.Now()
	x := spin(1_000_000)
	fmt.Printf("PROBE cpu_spin_1e6.ms %s (x=%d)\n", msf(time.Since(t0)), x)

	t0 = time.Now()
	acc := work(20_000)
	fmt.Printf("PROBE cpu_fnv_2e4.ms %s (acc=%d)\n", msf(time.Since(t0)), acc)

	t0 = time.Now()
	total := 0
	for i := 0; i < 2_000; i++ {
		b, _ := json.Marshal(order{ID: i, Items: []string{"keyboard", "mouse"}, Cents: 4900})
		total += len(b)
	}
	fmt.Printf("PROBE json_marshal_2e3.ms %s (bytes=%d)\n", msf(time.Since(t0)), total)

	// A timer must fire on time while another goroutine computes: no preemption on js/wasm,
	// so a CPU-bound goroutine delays it in both options; how much is the speed of that code.
	fired := make(chan time.Duration, 1)
	t0 = time.Now()
	time.AfterFunc(10*time.Millisecond, func() { fired <- time.Since(t0) })
	go spin(300_000)
	fmt.Printf("PROBE timer_10ms_during_cpu.fired_ms %s\n", msf(<-fired))
}
