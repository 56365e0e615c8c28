// Command httpd is a small web server over mnet (TCP/IP in the app, on /dev/net0).
//
//	GET /               a small HTML page
//	GET /api/info       JSON: uptime, requests served, Go version, GOOS/GOARCH
//	GET /api/echo?msg=  echoes msg back as text
//	GET /files/PATH     the file PATH below the directory given with -root
//	                    (a listing for a directory), when -root is given
//	anything else       404
//
// It listens on port 80 (flag -port) and prints "httpd: listening on ADDR:PORT"
// once ready, with the interface's real address. The -root tree is a
// preopened directory: mwasm run --dir ./static::/www, or packed into the
// image with mwasm build --dir ./static::/www:ro, then -root /www.
//
//	GOOS=wasip1 GOARCH=wasm go build -o httpd.wasm ./apps/httpd
//	mwasm run --net user,hostfwd=tcp:127.0.0.1:8080-:80 httpd.wasm
//	curl http://127.0.0.1:8080/api/info
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mwasm/mwasm/mnet"
)

const page = `<!DOCTYPE html>
<html><head><title>mwasm httpd</title></head>
<body><h1>Hello from mwasm!</h1>
<p>This page is served by a Go app compiled to WebAssembly, with its own TCP/IP stack.</p>
<p>Try <a href="/api/info">/api/info</a> or <a href="/api/echo?msg=hi">/api/echo?msg=hi</a>.</p>
</body></html>
`

type server struct {
	start    time.Time
	requests atomic.Uint64
	files    http.Handler // nil: no -root
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.requests.Add(1)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch r.URL.Path {
	case "/":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(page))
	case "/api/info":
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"uptime_ms":       time.Since(s.start).Milliseconds(),
			"requests_served": n,
			"go_version":      runtime.Version(),
			"goos":            runtime.GOOS,
			"goarch":          runtime.GOARCH,
		})
	case "/api/echo":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte(r.URL.Query().Get("msg")))
	default:
		if s.files != nil && strings.HasPrefix(r.URL.Path, "/files/") {
			s.files.ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
	}
}

func main() {
	port := flag.Int("port", 80, "TCP port to listen on")
	root := flag.String("root", "", "serve the files below `DIR` at /files/")
	flag.Parse()
	s := &server{start: time.Now()}
	if *root != "" {
		if st, err := os.Stat(*root); err != nil || !st.IsDir() {
			fail(errors.New("-root " + *root + ": not a directory the app can see (give it with mwasm run --dir or mwasm build --dir)"))
		}
		s.files = http.StripPrefix("/files/", http.FileServer(http.Dir(*root)))
	}

	st, err := mnet.Default()
	if err != nil {
		fail(err)
	}
	ln, err := st.Listen("tcp", ":"+strconv.Itoa(*port))
	if err != nil {
		fail(err)
	}
	os.Stdout.WriteString("httpd: listening on " + st.Addr().Addr().String() + ":" + strconv.Itoa(*port) + "\n")
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	fail(srv.Serve(ln))
}

func fail(err error) {
	os.Stderr.WriteString("httpd: " + err.Error() + "\n")
	os.Exit(1)
}
