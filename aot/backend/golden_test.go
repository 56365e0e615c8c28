//go:build linux && amd64

package backend

import (
	"os"
	"strings"
	"testing"
)

// TestGoldenListing prints the machine code of a few small functions to
// testdata/listing.golden so that codegen changes show in review.
// MWASM_BLESS=1 rewrites the file.
func TestGoldenListing(t *testing.T) {
	src, err := os.ReadFile("testdata/listing.ir")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, text := range strings.Split(string(src), "\n\n") {
		if strings.TrimSpace(text) == "" {
			continue
		}
		b.WriteString(strings.TrimSpace(text))
		b.WriteString("\n; code (LZCNT/TZCNT off):\n")
		b.WriteString(listing(t, text, CPU{}))
		b.WriteString("\n")
	}
	got := b.String()
	const path = "testdata/listing.golden"
	if os.Getenv("MWASM_BLESS") == "1" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with MWASM_BLESS=1 to create it)", err)
	}
	if string(want) != got {
		t.Errorf("listing differs from %s (rerun with MWASM_BLESS=1 if the change is intended):\n%s", path, got)
	}
}
