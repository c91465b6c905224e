//go:build ignore

// Probe: is an interpreted goroutine leak visible the way the goroutine-leak lesson shows it?
// runtime.NumGoroutine, the pprof goroutine profile's total, its [chan send] states and the
// leaking function's name in debug=2 (the lesson greps for it).
package main

import (
	"bytes"
	"fmt"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"
)

const leaks = 50

// leakySend is the goroutine-leak starter's mistake: a send nobody will ever receive.
func leakySend(ch chan int) { ch <- 1 }

func total(debug int) (int, string) {
	var b bytes.Buffer
	pprof.Lookup("goroutine").WriteTo(&b, debug)
	m := regexp.MustCompile(`goroutine profile: total (\d+)`).FindStringSubmatch(b.String())
	n := -1
	if m != nil {
		fmt.Sscan(m[1], &n)
	}
	return n, b.String()
}

func main() {
	before := runtime.NumGoroutine()
	pbefore, _ := total(1)
	for i := 0; i < leaks; i++ {
		go leakySend(make(chan int))
	}
	time.Sleep(100 * time.Millisecond)
	after := runtime.NumGoroutine()
	pafter, _ := total(1)
	var b bytes.Buffer
	pprof.Lookup("goroutine").WriteTo(&b, 2)
	dump := b.String()
	fmt.Printf("PROBE numgoroutine.delta %d\n", after-before)
	fmt.Printf("PROBE pprof_total.delta %d\n", pafter-pbefore)
	fmt.Printf("PROBE debug2.chan_send_states %d\n", strings.Count(dump, "[chan send]"))
	fmt.Printf("PROBE debug2.names_leakySend %d\n", strings.Count(dump, "main.leakySend("))
	// What a learner sees on top of a leaked goroutine's stack, first frame below the state line.
	first := "none"
	for _, g := range strings.Split(dump, "\n\n") {
		if strings.Contains(g, "[chan send]") {
			lines := strings.Split(g, "\n")
			if len(lines) > 1 {
				first = strings.TrimSpace(strings.SplitN(lines[1], "(", 2)[0])
			}
			break
		}
	}
	fmt.Printf("PROBE debug2.top_frame %s\n", first)
}
