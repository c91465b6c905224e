//go:build ignore

// The generic std package slices, as a learner's code or a dependency (chi) calls it.
package main

import (
	"fmt"
	"slices"
)

func main() {
	r := fmt.Sprint(slices.Contains([]string{"GET", "POST"}, "POST"))
	fmt.Println("PROBE std_slices_contains", r)
}
