// Command hello is a user's own Go app in its own module (not the mwasm module).
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Println("hello from go", len(os.Args))
}
