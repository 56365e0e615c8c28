// Command sieve runs the sieve of Eratosthenes up to 20,000,000 eight
// times over a byte slice and prints the prime count and the largest prime.
package main

import "fmt"

var n = 20000000

func main() {
	composite := make([]bool, n+1)
	total, last := 0, 0
	for rep := 0; rep < 8; rep++ {
		clear(composite)
		count := 0
		for i := 2; i <= n; i++ {
			if composite[i] {
				continue
			}
			count++
			last = i
			for j := i * i; j <= n; j += i {
				composite[j] = true
			}
		}
		total += count
	}
	fmt.Println(total, last)
}
