// Command matmul multiplies 200x200 float64 matrices 300 times (A changes
// a little each time) in i-k-j order and prints the sum of all results.
package main

import "fmt"

const size = 200

var reps = 300

func main() {
	var a, b, c [size][size]float64
	for i := 0; i < size; i++ {
		for j := 0; j < size; j++ {
			a[i][j] = float64((i*7+j*3)%17)/16.0 - 0.5
			b[i][j] = float64((i*5+j*11)%13)/12.0 - 0.5
		}
	}
	sum := 0.0
	for r := 0; r < reps; r++ {
		a[r%size][(r*3)%size] += 0.25
		for i := 0; i < size; i++ {
			ci := &c[i]
			for j := range ci {
				ci[j] = 0
			}
			for k := 0; k < size; k++ {
				aik := a[i][k]
				bk := &b[k]
				for j := range ci {
					ci[j] += aik * bk[j]
				}
			}
		}
		for i := 0; i < size; i++ {
			for j := 0; j < size; j++ {
				sum += c[i][j]
			}
		}
	}
	fmt.Printf("%.6f\n", sum)
}
