package xen

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mwasm/mwasm/tests/internal/wasitests"
	"github.com/mwasm/mwasm/tests/xen/lab"
)

// Files on Xen: trees packed into images with mwasm build --dir.

// staticFiles are the files of the tree httpd serves on Xen.
var staticFiles = func() map[string][]byte {
	rng := rand.New(rand.NewSource(11))
	bin := make([]byte, 200<<10+77)
	rng.Read(bin)
	return map[string][]byte{
		"blob.bin":        bin,
		"docs/readme.txt": []byte("served from a tree packed into a Xen image\n"),
		"docs/deep/empty": nil,
	}
}()

// staticTree writes staticFiles under the work directory.
func staticTree() string {
	dir := filepath.Join(workDir, "static")
	for p, b := range staticFiles {
		full := filepath.Join(dir, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		os.WriteFile(full, b, 0o644)
	}
	return dir
}

// wasiSample are the tests of the WASI testsuite booted on Xen: file system
// calls over a packed fixture, arguments, environment and an exit status.
var wasiSample = []string{
	"c/fopen-with-access", "c/pwrite-with-append", "c/stat-dev-ino",
	"rust/fd_readdir", "rust/path_rename", "rust/path_link", "rust/symlink_loop",
	"rust/file_truncation", "rust/interesting_paths", "rust/nofollow_errors",
	"assemblyscript/environ_get-multiple-variables", "assemblyscript/proc_exit-failure",
}

func caseName(test string) string {
	return "wasi-" + strings.NewReplacer("/", "-", "_", "-").Replace(strings.ToLower(test))
}

// fileCases are the cases of this file: httpd serving a packed tree, and the
// WASI sample (none when the suite is missing: TestWASISample then fails).
func fileCases() []*xcase {
	var cs []*xcase
	var script strings.Builder
	script.WriteString("start_guest || exit 1\nwait_console \"httpd: listening\" 120 || exit 1\n")
	var paths []string
	for p := range staticFiles {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		fmt.Fprintf(&script, "echo \"sum %s $(curl -s http://10.0.3.6/files/%s | sha256sum | cut -d' ' -f1)\"\n", p, p)
	}
	script.WriteString("curl -s -o /dev/null -w \"missing %{http_code}\\n\" http://10.0.3.6/files/nope\nxl destroy $CASE\n")
	cs = append(cs, &xcase{Case: lab.Case{Name: "httpd-files", Timeout: 3 * time.Minute, Script: script.String()},
		app: "apps/httpd", flags: []string{"--net", "vif,ip=10.0.3.6/24,gw=10.0.3.1", "--dir", staticTree() + "::/www:ro", "--", "-root", "/www"}})

	suiteDir, err := wasitests.Dir(repoRoot)
	if err != nil {
		return cs // TestWASISample fails
	}
	for _, test := range wasiSample {
		wasm := filepath.Join(suiteDir, test+".wasm")
		sp, err := wasitests.LoadSpec(wasm)
		if err != nil {
			continue // TestWASISample reports the case as not run
		}
		c := &xcase{Case: lab.Case{Name: caseName(test)}, app: wasm}
		if sp.Root != "" {
			fixture := filepath.Join(workDir, "fixture-"+c.Name)
			if err := wasitests.CopyFixture(filepath.Join(filepath.Dir(wasm), sp.Root), fixture); err != nil {
				continue
			}
			c.flags = append(c.flags, "--dir", fixture+"::/")
		}
		for _, kv := range sp.EnvList() {
			c.flags = append(c.flags, "--env", kv)
		}
		if len(sp.Args) > 0 {
			c.flags = append(append(c.flags, "--"), sp.Args...)
		}
		cs = append(cs, c)
	}
	return cs
}

func TestHttpdFiles(t *testing.T) {
	r := result(t, "httpd-files")
	for p, b := range staticFiles {
		sum := sha256.Sum256(b)
		if want := "sum " + p + " " + hex.EncodeToString(sum[:]) + "\n"; !strings.Contains(r.Output, want) {
			t.Errorf("GET /files/%s from the Xen guest is not the file (want %q): %q", p, want, r.Output)
		}
	}
	if !strings.Contains(r.Output, "missing 404\n") {
		t.Errorf("a missing file: %q", r.Output)
	}
}

// TestWASISample: a sample of the official WASI testsuite, each test built
// with its fixture packed in (--dir), booted on real Xen.
func TestWASISample(t *testing.T) {
	suiteDir, err := wasitests.Dir(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	passed := 0
	for _, test := range wasiSample {
		t.Run(test, func(t *testing.T) {
			sp, err := wasitests.LoadSpec(filepath.Join(suiteDir, test+".wasm"))
			if err != nil {
				t.Fatal(err)
			}
			r := result(t, caseName(test))
			want := fmt.Sprintf("mwasm: exit status %d\n", sp.ExitCode)
			if !strings.Contains(r.Console, want) || r.Shutdown != "poweroff" {
				t.Fatalf("console %q, shutdown %q; want %q and poweroff", tail(r.Console, 2000), r.Shutdown, want)
			}
			if sp.Stdout != nil && !strings.Contains(r.Console, *sp.Stdout) {
				t.Fatalf("console %q does not hold the expected stdout %q", r.Console, *sp.Stdout)
			}
			passed++
		})
	}
	fmt.Printf("wasi-testsuite (Xen sample): %d passed, %d failed\n", passed, len(wasiSample)-passed)
}
