//go:build ignore

// Go 1.19 typed atomics without type parameters: atomic.Int64 and atomic.Bool (lab counters).
package main

import (
	"fmt"
	"sync/atomic"
)

var served atomic.Int64

func main() {
	served.Add(5)
	var b atomic.Bool
	b.Store(true)
	fmt.Println("PROBE atomic_int", served.Load(), b.Load())
}
