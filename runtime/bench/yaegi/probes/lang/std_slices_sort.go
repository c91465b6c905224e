//go:build ignore

// The generic std package slices, as a learner's code or a dependency (chi) calls it.
package main

import (
	"fmt"
	"slices"
)

func main() {
	s := []int{3, 1, 2}
	slices.Sort(s)
	r := fmt.Sprint(s)
	fmt.Println("PROBE std_slices_sort", r)
}
