package passes

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mwasm/mwasm/aot/ir"
)

// Filetests: each testdata/*.ir file is
//
//	; passes: constfold, dce        <- passes to run, in order
//	func %f(...) { ... }             <- input IR (any number of functions)
//	; check:
//	; func %f(...) {                 <- expected output, each line behind "; "
//	; ...
//
// The input is verified, the passes run with the verifier after each, and
// the printed result must equal the check section. MWASM_BLESS=1 rewrites
// the check section with the actual output instead of failing.
func TestFiletests(t *testing.T) {
	files, err := filepath.Glob("testdata/*.ir")
	if err != nil || len(files) == 0 {
		t.Fatalf("no filetests found: %v", err)
	}
	bless := os.Getenv("MWASM_BLESS") == "1"
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			src := string(raw)
			input, expected, found := strings.Cut(src, "; check:\n")
			if !found {
				input, expected = src, ""
			}
			var list []Pass
			for _, line := range strings.Split(input, "\n") {
				if rest, ok := strings.CutPrefix(line, "; passes:"); ok {
					for _, name := range strings.Split(rest, ",") {
						name = strings.TrimSpace(name)
						p, ok := Lookup(name)
						if !ok {
							t.Fatalf("%s: unknown pass %q", file, name)
						}
						list = append(list, p)
					}
				}
			}
			if len(list) == 0 {
				t.Fatalf("%s: no \"; passes:\" line", file)
			}
			fs, err := ir.ParseFuncs(input)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			var out strings.Builder
			for _, f := range fs {
				if err := Run(f, list, Options{Verify: true}); err != nil {
					t.Fatalf("%s: %v", file, err)
				}
				out.WriteString(f.String())
			}
			var want strings.Builder
			for _, line := range strings.Split(strings.TrimSuffix(expected, "\n"), "\n") {
				if line == ";" {
					want.WriteString("\n")
					continue
				}
				rest, _ := strings.CutPrefix(line, "; ")
				want.WriteString(rest + "\n")
			}
			if out.String() == want.String() {
				return
			}
			if bless {
				var b strings.Builder
				b.WriteString(input)
				b.WriteString("; check:\n")
				for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
					if line == "" {
						b.WriteString(";\n")
					} else {
						b.WriteString("; " + line + "\n")
					}
				}
				if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("%s: blessed", file)
				return
			}
			t.Errorf("%s: output differs (MWASM_BLESS=1 to update)\ngot:\n%s\nwant:\n%s", file, out.String(), want.String())
		})
	}
}
