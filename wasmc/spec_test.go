package wasmc

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mwasm/mwasm/internal/specsuite"
)

// The official spec test suite is located by internal/specsuite.

type specFile struct {
	SourceFilename string        `json:"source_filename"`
	Commands       []specCommand `json:"commands"`
}

type specCommand struct {
	Type       string `json:"type"`
	Line       int    `json:"line"`
	Filename   string `json:"filename"`
	Text       string `json:"text"`
	ModuleType string `json:"module_type"`
}

type specResult struct {
	passed, failed, textNA, simdSkipped int
	failures                            []string
}

// runSpecDir runs every JSON file of one suite version.
func runSpecDir(t *testing.T, dir string, features Feature, res *specResult) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no spec JSON files in %s", dir)
	}
	sort.Strings(files)
	for _, jf := range files {
		base := filepath.Base(jf)
		if strings.HasPrefix(base, "simd_") {
			res.simdSkipped++
			continue
		}
		raw, err := os.ReadFile(jf)
		if err != nil {
			t.Fatal(err)
		}
		var sf specFile
		if err := json.Unmarshal(raw, &sf); err != nil {
			t.Fatalf("%s: %v", jf, err)
		}
		for _, c := range sf.Commands {
			where := fmt.Sprintf("%s:%d (%s %s)", filepath.Base(filepath.Dir(dir))+"/"+sf.SourceFilename, c.Line, c.Type, c.Filename)
			var wantOK, decodeOnly bool
			switch c.Type {
			case "module", "assert_unlinkable", "assert_uninstantiable":
				wantOK = true
			case "assert_malformed":
				if c.ModuleType != "binary" {
					res.textNA++
					continue
				}
				decodeOnly = true
			case "assert_invalid":
			default:
				continue // actions and assertions on results need the modules above, already checked
			}
			if c.ModuleType == "text" {
				res.textNA++
				continue
			}
			b, err := os.ReadFile(filepath.Join(dir, c.Filename))
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			m, derr := DecodeFeatures(b, features)
			var verr error
			if derr == nil {
				verr = Validate(m)
			}
			fail := func(msg string) {
				res.failed++
				res.failures = append(res.failures, where+": "+msg)
			}
			switch {
			case wantOK && (derr != nil || verr != nil):
				fail(fmt.Sprintf("valid module rejected: %v%v", orNil(derr), orNil(verr)))
			case decodeOnly && derr == nil:
				fail(fmt.Sprintf("malformed module (%q) accepted by Decode (Validate: %v)", c.Text, verr))
			case !wantOK && !decodeOnly && derr == nil && verr == nil:
				fail(fmt.Sprintf("invalid module (%q) accepted", c.Text))
			default:
				res.passed++
			}
		}
	}
}

func orNil(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestSpec runs the official WebAssembly spec test suite: v1 with
// FeaturesV1 (the MVP plus mutable globals), v2 with FeaturesV2 (SIMD files skipped).
func TestSpec(t *testing.T) {
	dir, err := specsuite.Dir()
	if err != nil {
		t.Skipf("spec tests skipped: %v", err)
	}
	var res specResult
	runSpecDir(t, filepath.Join(dir, "v1", "testdata"), FeaturesV1, &res)
	runSpecDir(t, filepath.Join(dir, "v2", "testdata"), FeaturesV2, &res)
	for i, f := range res.failures {
		if i == 200 {
			t.Logf("... and %d more", len(res.failures)-i)
			break
		}
		t.Log(f)
	}
	summary := fmt.Sprintf("wasmc spec: %d passed, %d failed (%d text-format commands not applicable, %d simd files skipped)", res.passed, res.failed, res.textNA, res.simdSkipped)
	fmt.Println(summary)
	if res.passed < 1000 {
		t.Errorf("only %d spec commands ran; the suite looks incomplete", res.passed)
	}
	if res.failed > 0 {
		t.Error(summary)
	}
}
