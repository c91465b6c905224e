//go:build ignore

// Probe: the learner's own generics as Go 1.18-1.21 has them: type parameters, constraints with
// ~, generic types with methods, inference and cmp.Ordered. Two
// inferred type parameters and the generic std packages (slices, maps, atomic.Pointer) and the Go 1.21
// builtins are
// separate probes in lang/, one construct each: yaegi rejects a whole program for one of them.
package main

import (
	"cmp"
	"fmt"
	"strings"
)

type Number interface{ ~int | ~int64 | ~float64 }

func Sum[T Number](xs []T) T {
	var s T
	for _, x := range xs {
		s += x
	}
	return s
}

type Cents int

type Ring[T any] struct {
	buf  []T
	next int
}

func NewRing[T any](n int) *Ring[T] { return &Ring[T]{buf: make([]T, 0, n)} }

func (r *Ring[T]) Push(v T) {
	if len(r.buf) < cap(r.buf) {
		r.buf = append(r.buf, v)
		return
	}
	r.buf[r.next] = v
	r.next = (r.next + 1) % len(r.buf)
}

func (r *Ring[T]) Len() int { return len(r.buf) }

type Pair[K comparable, V any] struct {
	Key K
	Val V
}

func Max[T cmp.Ordered](a, b T) T {
	if a > b {
		return a
	}
	return b
}

func try(name string, f func() string) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Printf("PROBE %s panic:%v\n", name, strings.ReplaceAll(fmt.Sprint(r), "\n", " "))
		}
	}()
	fmt.Printf("PROBE %s %s\n", name, f())
}

func main() {
	try("sum_int", func() string { return fmt.Sprint(Sum([]int{1, 2, 3})) })
	try("sum_named", func() string { return fmt.Sprint(Sum([]Cents{199, 250})) })
	try("ring", func() string {
		r := NewRing[string](2)
		r.Push("a")
		r.Push("b")
		r.Push("c")
		return fmt.Sprint(r.Len(), r.buf)
	})
	try("pair", func() string { return fmt.Sprintf("%+v", Pair[string, int]{"a", 1}) })
	try("max", func() string { return fmt.Sprint(Max(3, 7), Max("a", "b")) })
}
