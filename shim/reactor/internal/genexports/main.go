//go:build !wasip1

// Command genexports writes shim/reactor's exports_wasip1.go from shim.Provided.
// It is run by `go generate ./shim/reactor` (from that directory).
package main

import (
	"fmt"
	"os"

	"github.com/mwasm/mwasm/shim/reactor"
)

func main() {
	if _, err := os.Stat("gen.go"); err != nil {
		fmt.Fprintln(os.Stderr, "genexports: run it from shim/reactor (go generate ./shim/reactor does)")
		os.Exit(1)
	}
	src, err := reactor.GenerateExports()
	if err != nil {
		fmt.Fprintln(os.Stderr, "genexports: formatting the generated source failed:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(reactor.ExportsFile, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "genexports:", err, "(run it from shim/reactor, as go generate does)")
		os.Exit(1)
	}
}
