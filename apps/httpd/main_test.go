package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func get(t *testing.T, url string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

func TestRoutes(t *testing.T) {
	srv := httptest.NewServer(&server{start: time.Now().Add(-2 * time.Second)})
	defer srv.Close()

	code, ctype, body := get(t, srv.URL+"/")
	if code != 200 || !strings.HasPrefix(ctype, "text/html") || !strings.Contains(body, "Hello from mwasm!") {
		t.Fatalf("GET /: %d %s %q", code, ctype, body)
	}
	code, _, body = get(t, srv.URL+"/api/echo?msg=hi%20there")
	if code != 200 || body != "hi there" {
		t.Fatalf("echo: %d %q", code, body)
	}
	code, _, _ = get(t, srv.URL+"/nope")
	if code != 404 {
		t.Fatalf("GET /nope: %d", code)
	}
	code, ctype, body = get(t, srv.URL+"/api/info")
	if code != 200 || ctype != "application/json" {
		t.Fatalf("info: %d %s", code, ctype)
	}
	var info struct {
		Uptime   int64  `json:"uptime_ms"`
		Requests uint64 `json:"requests_served"`
		Go       string `json:"go_version"`
		GOOS     string `json:"goos"`
		GOARCH   string `json:"goarch"`
	}
	if err := json.Unmarshal([]byte(body), &info); err != nil {
		t.Fatalf("info is not JSON: %v: %q", err, body)
	}
	if info.Requests != 4 || info.Uptime < 2000 || info.Go != runtime.Version() || info.GOOS != runtime.GOOS || info.GOARCH != runtime.GOARCH {
		t.Fatalf("info %+v", info)
	}
	resp, err := http.Post(srv.URL+"/", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Fatalf("POST /: %d", resp.StatusCode)
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	data := strings.Repeat("0123456789", 10000)
	os.WriteFile(filepath.Join(dir, "sub", "big.txt"), []byte(data), 0o644)
	srv := httptest.NewServer(&server{start: time.Now(), files: http.StripPrefix("/files/", http.FileServer(http.Dir(dir)))})
	defer srv.Close()
	if code, _, body := get(t, srv.URL+"/files/sub/big.txt"); code != 200 || body != data {
		t.Fatalf("GET /files/sub/big.txt: %d, %d bytes", code, len(body))
	}
	if code, _, body := get(t, srv.URL+"/files/sub/"); code != 200 || !strings.Contains(body, "big.txt") {
		t.Fatalf("GET /files/sub/: %d %q", code, body)
	}
	if code, _, _ := get(t, srv.URL+"/files/nope"); code != 404 {
		t.Fatalf("GET /files/nope: %d", code)
	}
}
