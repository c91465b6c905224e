//go:build ignore

// Go 1.21 builtins min and max.
package main

import "fmt"

func main() {
	fmt.Println("PROBE builtin_min_max", min(3, 1, 2), max(2.5, 1))
}
