package ir

import (
	"os"
	"strings"
	"testing"
)

// FuzzParse: parsing arbitrary text never panics; whatever parses also
// verifies without panicking and prints to text that parses back to the
// same text.
func FuzzParse(f *testing.F) {
	src, _ := os.ReadFile("testdata/roundtrip.ir")
	for _, part := range strings.SplitAfter(string(src), "}\n") {
		if part != "" {
			f.Add(part)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		fs, err := ParseFuncs(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line parse error: %q", err)
			}
			return
		}
		for _, fn := range fs {
			_ = Verify(fn)
			text := fn.String()
			g, err := Parse(text)
			if err != nil {
				t.Fatalf("printed text does not parse: %v\n%s", err, text)
			}
			if g.String() != text {
				t.Fatalf("second round trip differs:\n%s", diffLines(text, g.String()))
			}
		}
	})
}
