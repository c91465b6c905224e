//go:build ignore

// Go 1.23: range over a function (iterators).
package main

import "fmt"

func upTo(n int) func(yield func(int) bool) {
	return func(yield func(int) bool) {
		for i := 0; i < n; i++ {
			if !yield(i) {
				return
			}
		}
	}
}

func main() {
	s := 0
	for v := range upTo(4) {
		s += v
	}
	fmt.Println("PROBE range_func", s)
}
