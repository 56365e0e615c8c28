// Command hello is the smallest mwasm app: it prints "Hello from mwasm!" and its
// arguments, if any, then exits with status 0.
//
//	GOOS=wasip1 GOARCH=wasm go build -o hello.wasm ./apps/hello
//	mwasm run hello.wasm a b c
package main

import (
	"os"
	"strings"
)

func main() {
	msg := "Hello from mwasm!"
	if len(os.Args) > 1 {
		msg += " args: " + strings.Join(os.Args[1:], " ")
	}
	os.Stdout.WriteString(msg + "\n")
}
