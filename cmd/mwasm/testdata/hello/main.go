// Command hello is the CLI tests' app: it prints its arguments, $FOO and the device
// facts (MWASM_* variables), and exits with the status in $EXIT.
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

func main() {
	fmt.Printf("args=%q\n", os.Args[1:])
	fmt.Printf("FOO=%s\n", os.Getenv("FOO"))
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "MWASM_") {
			fmt.Println(kv)
		}
	}
	fmt.Fprintln(os.Stderr, "to stderr")
	if c := os.Getenv("EXIT"); c != "" {
		n, _ := strconv.Atoi(c)
		os.Exit(n)
	}
}
