//go:build ignore

// Go 1.19: the generic typed atomic, atomic.Pointer[T] (config swaps, route tables).
package main

import (
	"fmt"
	"sync/atomic"
)

type config struct{ limit int }

func main() {
	var p atomic.Pointer[config]
	p.Store(&config{limit: 7})
	fmt.Println("PROBE atomic_pointer", p.Load().limit)
}
