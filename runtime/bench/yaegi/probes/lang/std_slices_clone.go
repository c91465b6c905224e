//go:build ignore

// The generic std package slices, as a learner's code or a dependency (chi) calls it.
package main

import (
	"fmt"
	"slices"
)

func main() {
	r := fmt.Sprint(slices.Clone([]int{4, 5}))
	fmt.Println("PROBE std_slices_clone", r)
}
