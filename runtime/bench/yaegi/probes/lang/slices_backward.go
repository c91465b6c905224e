//go:build ignore

// Go 1.23: slices.Backward (chi v5.5 uses it).
package main

import (
	"fmt"
	"slices"
)

func main() {
	out := ""
	for _, v := range slices.Backward([]string{"a", "b"}) {
		out += v
	}
	fmt.Println("PROBE slices_backward", out)
}
