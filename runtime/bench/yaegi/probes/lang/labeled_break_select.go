//go:build ignore

// A labeled break out of a select inside a for loop.
package main

import (
	"fmt"
	"time"
)

func main() {
	tk := time.NewTicker(10 * time.Millisecond)
	defer tk.Stop()
	deadline := time.After(100 * time.Millisecond)
	n := 0
loop:
	for {
		select {
		case <-tk.C:
			n++
		case <-deadline:
			break loop
		}
	}
	fmt.Println("PROBE labeled_break_select", n > 0)
}
