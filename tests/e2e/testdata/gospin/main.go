// Command spin prints "spinning" and then computes forever without calling the
// ABI: the program the signal tests stop (TestSignals).
package main

import "fmt"

func main() {
	fmt.Println("spinning")
	x := 0
	for i := 0; ; i++ {
		x += i
		if x == -1 {
			break
		}
	}
	fmt.Println(x)
}
