package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mwasm/mwasm/apps/kv/store"
)

func newServer(t *testing.T, sectors int64) (*httptest.Server, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(sectors * 512); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(f, 512, sectors)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(&handler{st: st})
	t.Cleanup(func() {
		srv.Close()
		st.Close()
		f.Close()
	})
	return srv, path
}

func do(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHTTP(t *testing.T) {
	srv, path := newServer(t, 1024)
	u := srv.URL
	steps := []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"GET", "/kv/a", "", 404, ""},
		{"PUT", "/kv/a", "apple", 200, ""},
		{"PUT", "/kv/b/c", "slash key", 200, ""},
		{"GET", "/kv/a", "", 200, "apple"},
		{"GET", "/kv/b/c", "", 200, "slash key"},
		{"PUT", "/kv/a", "avocado", 200, ""},
		{"GET", "/kv/a", "", 200, "avocado"},
		{"GET", "/kv", "", 200, "a\nb/c\n"},
		{"DELETE", "/kv/b/c", "", 200, ""},
		{"DELETE", "/kv/b/c", "", 404, ""},
		{"GET", "/kv", "", 200, "a\n"},
		{"GET", "/kv/", "", 200, "a\n"},
		{"POST", "/kv/a", "x", 405, ""},
		{"GET", "/other", "", 404, ""},
		{"PUT", "/kv/bad%0Akey", "x", 400, ""},
	}
	for _, s := range steps {
		code, body := do(t, s.method, u+s.path, s.body)
		if code != s.code || (s.want != "" && body != s.want) {
			t.Fatalf("%s %s: %d %q, want %d %q", s.method, s.path, code, body, s.code, s.want)
		}
	}
	// The data is on the disk file: reopen it as a new store.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := store.Open(f, 512, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := st.Get("a"); !ok || string(v) != "avocado" {
		t.Fatalf("after reopen: a = %q, %v", v, ok)
	}
	if _, ok := st.Get("b/c"); ok {
		t.Fatal("deleted key came back")
	}
}

func TestHTTPFull(t *testing.T) {
	srv, _ := newServer(t, 66) // halves of 16 KiB
	val := strings.Repeat("x", 2000)
	var code int
	for i := 0; i < 20; i++ {
		if code, _ = do(t, "PUT", srv.URL+"/kv/k"+string(rune('a'+i)), val); code != 200 {
			break
		}
	}
	if code != http.StatusInsufficientStorage {
		t.Fatalf("filling the disk ended with %d, want 507", code)
	}
	if code, _ := do(t, "PUT", srv.URL+"/kv/big", strings.Repeat("y", 20000)); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("value larger than half the disk: %d, want 413", code)
	}
}
