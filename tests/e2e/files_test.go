package e2e

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

// staticTree makes a tree for httpd -root: a binary file, text in a
// subdirectory, an empty file and a symbolic link within the tree. It returns
// the directory and path -> contents of what must be served.
func staticTree(t *testing.T) (string, map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(7))
	bin := make([]byte, 300<<10+123)
	rng.Read(bin)
	files := map[string][]byte{
		"blob.bin":           bin,
		"docs/readme.txt":    []byte("static files from a preopened tree\n"),
		"docs/deep/empty":    nil,
		"docs/deep/page.css": bytes.Repeat([]byte("body{margin:0}\n"), 200),
	}
	for p, b := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("docs/readme.txt", filepath.Join(dir, "readme")); err != nil {
		t.Fatal(err)
	}
	files["readme"] = files["docs/readme.txt"]
	return dir, files
}

// checkServed fetches every file of the tree from base and compares bytes.
func checkServed(t *testing.T, base string, files map[string][]byte) {
	t.Helper()
	for p, want := range files {
		if got := get(t, base+"/files/"+p, 200); got != string(want) {
			t.Errorf("GET /files/%s: %d bytes, not the %d bytes of the file", p, len(got), len(want))
		}
	}
	get(t, base+"/files/missing.txt", 404)
	// The server cannot be led out of the tree.
	get(t, base+"/files/../go.mod", 404)
}

// TestHttpdServesDir: httpd serves a static tree given with --dir, byte for
// byte, under mwasm run (a host directory) and as a native executable (the
// tree packed into it, read-only).
func TestHttpdServesDir(t *testing.T) {
	dir, files := staticTree(t)
	t.Run("run", func(t *testing.T) {
		port := freePort(t)
		startServer(t, "listening", "--net", fmt.Sprintf("user,hostfwd=tcp:127.0.0.1:%d-:80", port),
			"--dir", dir+"::/www:ro", "apps/httpd", "--", "-root", "/www")
		checkServed(t, fmt.Sprintf("http://127.0.0.1:%d", port), files)
	})
	t.Run("native", func(t *testing.T) {
		exe := nativeBuild(t, "apps/httpd", "--net", "user", "--dir", dir+"::/www:ro")
		if err := os.WriteFile(filepath.Join(dir, "blob.bin"), []byte("changed after the build"), 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.WriteFile(filepath.Join(dir, "blob.bin"), files["blob.bin"], 0o644)
		port := freePort(t)
		startNative(t, "listening", "--net", userNet(port, 80), exe, "--", "-root", "/www")
		checkServed(t, fmt.Sprintf("http://127.0.0.1:%d", port), files) // what was packed
	})
}
