// Command fib computes fib(40) + fib(39) by naive double recursion: mostly
// call and return cost.
package main

import "fmt"

func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

var n = 40

func main() {
	s := 0
	for r := 0; r < 2; r++ {
		s += fib(n - r)
	}
	fmt.Println(s)
}
