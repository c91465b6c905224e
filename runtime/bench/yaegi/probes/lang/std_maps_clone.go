//go:build ignore

// The generic std package maps, as a learner's code or a dependency (chi) calls it.
package main

import (
	"fmt"
	"maps"
)

func main() {
	r := fmt.Sprint(maps.Clone(map[string]int{"a": 1}))
	fmt.Println("PROBE std_maps_clone", r)
}
