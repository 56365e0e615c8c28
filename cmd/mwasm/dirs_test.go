package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadDir: each bad --dir is one line naming the flag and exit status 2,
// before the app runs.
func TestBadDir(t *testing.T) {
	m := writeFile(t, "m.wasm", minimalModule)
	missing := filepath.Join(t.TempDir(), "nope")
	file := writeFile(t, "plain", []byte("x"))
	dir := t.TempDir()
	wantUsage(t, mwasm(t, "run", "--dir", missing, m), "--dir", missing, "no such file or directory", "give an existing directory")
	wantUsage(t, mwasm(t, "run", "--dir", file+"::/data", m), "--dir", file+" is not a directory")
	wantUsage(t, mwasm(t, "run", "--dir", "::/data", m), "the host directory is empty")
	wantUsage(t, mwasm(t, "run", "--dir", dir+"::", m), "the guest name after :: is empty")
	wantUsage(t, mwasm(t, "run", "--dir", dir+"::/a", "--dir", dir+"::/a:ro", m), "the guest name /a is given twice")
}

// TestUnreadableDir: a directory the user may not read is the same one line.
// As root (CI), the check runs in a child without the capabilities that let
// root read anything (setpriv, from util-linux).
func TestUnreadableDir(t *testing.T) {
	if os.Getenv("MWASM_TEST_UNREADABLE") == "" {
		dir := t.TempDir()
		locked := filepath.Join(dir, "locked")
		if err := os.Mkdir(locked, 0); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(locked, 0o755)
		if os.Geteuid() != 0 {
			t.Setenv("MWASM_TEST_UNREADABLE", locked)
			TestUnreadableDir(t)
			return
		}
		setpriv, err := exec.LookPath("setpriv")
		if err != nil {
			t.Fatal("running as root, the check needs setpriv (Debian package util-linux) to drop CAP_DAC_OVERRIDE: not found")
		}
		cmd := exec.Command(setpriv, "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search", "--",
			os.Args[0], "-test.run=^TestUnreadableDir$", "-test.v")
		cmd.Env = append(os.Environ(), "MWASM_TEST_UNREADABLE="+locked)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestUnreadableDir") {
			t.Fatalf("the check without root's capabilities failed (%v):\n%s", err, out)
		}
		return
	}
	locked := os.Getenv("MWASM_TEST_UNREADABLE")
	if f, err := os.Open(locked); err == nil {
		f.Close()
		t.Fatalf("%s (mode 000) can be read: the test cannot check anything", locked)
	}
	m := writeFile(t, "m.wasm", minimalModule)
	wantUsage(t, mwasm(t, "run", "--dir", locked, m), "--dir", locked, "permission denied")
}
