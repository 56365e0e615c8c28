package wasmc

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// The official spec test suite ships inside the wazero module (a
// dependency) as wast2json output: a JSON file of commands per .wast file,
// plus the .wasm files they name. It is read in place, never copied.

var (
	specDirOnce sync.Once
	specDir     string
	specDirErr  error
)

// specTestDir finds wazero's spectest directory in the module cache.
func specTestDir() (string, error) {
	specDirOnce.Do(func() {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/tetratelabs/wazero").Output()
		if err != nil {
			specDirErr = fmt.Errorf("go list -m github.com/tetratelabs/wazero: %v (run `go mod download github.com/tetratelabs/wazero`)", err)
			return
		}
		dir := strings.TrimSpace(string(out))
		if dir == "" {
			specDirErr = fmt.Errorf("github.com/tetratelabs/wazero is not in the module cache (run `go mod download github.com/tetratelabs/wazero`)")
			return
		}
		specDir = filepath.Join(dir, "internal", "integration_test", "spectest")
		if _, err := os.Stat(specDir); err != nil {
			specDirErr = fmt.Errorf("spec tests not found: %v (run `go mod download github.com/tetratelabs/wazero`)", err)
		}
	})
	return specDir, specDirErr
}

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
	dir, err := specTestDir()
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
