//go:build linux && amd64

package backend

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/mwasm/mwasm/aot/ir"
)

func listing(t *testing.T, text string, cpu CPU) string {
	f, err := ir.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := Compile(f, &Env{Layout: testLayout, CPU: cpu, Listing: true})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, l := range cf.Listing {
		fmt.Fprintf(&b, "%4x: %s\n", l.Off, l.Text)
	}
	return b.String()
}

func TestDumpEnv(t *testing.T) {
	if os.Getenv("MWASM_DUMP") == "" {
		t.Skip("set MWASM_DUMP to a file of IR")
	}
	b, _ := os.ReadFile(os.Getenv("MWASM_DUMP"))
	fmt.Println(listing(t, string(b), HostCPU()))
}
