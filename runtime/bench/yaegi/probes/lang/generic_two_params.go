//go:build ignore

// Generics: a function with two type parameters, both inferred (Map over a slice).
package main

import (
	"fmt"
	"strings"
)

func Map[T, U any](xs []T, f func(T) U) []U {
	out := make([]U, 0, len(xs))
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}

func main() {
	fmt.Println("PROBE generic_two_params", strings.Join(Map([]int{1, 2}, func(i int) string { return fmt.Sprint(i * 10) }), ","))
}
