package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A peer is one server under test: its address on loopback, and how to stop it.
type peer struct {
	name string // "mwasm" or "native"
	addr string // host:port on 127.0.0.1
	proc *mwasmProc
	stop func()
}

// cpuSeconds is the CPU time used so far by the peer's process (mwasm only; the
// native peers run inside netbench and report -1).
func (p *peer) cpuSeconds() float64 {
	if p.proc == nil {
		return -1
	}
	return p.proc.cpuSeconds()
}

// freePort asks the kernel for a free TCP port on 127.0.0.1 and releases it, for
// mwasm's hostfwd (which opens the host port itself). Another process may take it
// in between; startMwasm then fails with mwasm's own message.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free loopback port: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port, nil
}

// mwasmProc is a running `mwasm run` child, in its own process group so that
// stopping it also stops anything it started.
type mwasmProc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // Wait's result, valid after done

	mu   sync.Mutex
	tail []string // last lines of its stdout and stderr
}

const tailLines = 20

func (m *mwasmProc) addLine(s string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tail = append(m.tail, s)
	if len(m.tail) > tailLines {
		m.tail = m.tail[len(m.tail)-tailLines:]
	}
}

func (m *mwasmProc) output() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return strings.Join(m.tail, "\n")
}

// startMwasm runs `mwasm run --net user,hostfwd=tcp:127.0.0.1:PORT-:GUESTPORT WASM`
// and waits (up to timeout) for the app to print a line containing "listening".
func startMwasm(ctx context.Context, mwasm, wasm string, guestPort int, timeout time.Duration) (*peer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	fwd := fmt.Sprintf("user,hostfwd=tcp:127.0.0.1:%d-:%d", port, guestPort)
	cmd := exec.Command(mwasm, "run", "--net", fwd, wasm)
	cmd.SysProcAttr = childAttr()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", mwasm, err)
	}
	m := &mwasmProc{cmd: cmd, done: make(chan struct{})}
	ready := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	scan := func(r io.Reader, prefix string) {
		defer wg.Done()
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			line := sc.Text()
			m.addLine(prefix + line)
			if strings.Contains(line, "listening") {
				once.Do(func() { close(ready) })
			}
		}
		io.Copy(io.Discard, r) // an over-long line: keep draining so the app never blocks
	}
	wg.Add(2)
	go scan(stdout, "")
	go scan(stderr, "stderr: ")
	go func() {
		wg.Wait() // the pipes must be drained before Wait closes them
		m.err = cmd.Wait()
		close(m.done)
	}()

	p := &peer{name: "mwasm", addr: "127.0.0.1:" + strconv.Itoa(port), proc: m, stop: m.stop}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-ready:
	case <-m.done:
		return nil, fmt.Errorf("mwasm run %s exited before it was listening (%v); its output:\n%s", wasm, m.err, m.output())
	case <-t.C:
		m.stop()
		return nil, fmt.Errorf("mwasm run %s did not print \"listening\" within %v (raise -start-timeout?); its output:\n%s", wasm, timeout, m.output())
	case <-ctx.Done():
		m.stop()
		return nil, ctx.Err()
	}
	return p, nil
}

// stop ends the process group: SIGTERM, then SIGKILL after two seconds. It waits
// (at most five seconds in all) for the process to be gone, so that its host
// ports are released when stop returns.
func (m *mwasmProc) stop() {
	select {
	case <-m.done:
		return
	default:
	}
	pid := m.cmd.Process.Pid
	syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-m.done:
		return
	case <-time.After(2 * time.Second):
	}
	syscall.Kill(-pid, syscall.SIGKILL)
	select {
	case <-m.done:
	case <-time.After(3 * time.Second):
		fmt.Fprintf(os.Stderr, "netbench: mwasm (pid %d) did not exit after SIGKILL\n", pid)
	}
}

// exited reports whether the process has ended, with its output if so.
func (m *mwasmProc) exited() (bool, string) {
	select {
	case <-m.done:
		return true, fmt.Sprintf("%v; its output:\n%s", m.err, m.output())
	default:
		return false, ""
	}
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times; 100 on every Linux
// architecture Go supports.
const clockTicks = 100

func (m *mwasmProc) cpuSeconds() float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(m.cmd.Process.Pid) + "/stat")
	if err != nil {
		return -1
	}
	t, err := procCPUTicks(string(b))
	if err != nil {
		return -1
	}
	return float64(t) / clockTicks
}

// echoMsgHandler is the native twin of apps/httpd's handler, for the routes the
// benchmark uses: GET /api/echo?msg= echoes msg as text/plain, GET / serves a page
// of the same size, anything else is 404 (apps/httpd also counts requests, as here).
type echoMsgHandler struct {
	requests uint64
	mu       sync.Mutex
}

const nativePage = `<!DOCTYPE html>
<html><head><title>mwasm httpd</title></head>
<body><h1>Hello from mwasm!</h1>
<p>This page is served by a Go app compiled to WebAssembly, with its own TCP/IP stack.</p>
<p>Try <a href="/api/info">/api/info</a> or <a href="/api/echo?msg=hi">/api/echo?msg=hi</a>.</p>
</body></html>
`

func (h *echoMsgHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.requests++
	h.mu.Unlock()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch r.URL.Path {
	case "/":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(nativePage))
	case "/api/echo":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte(r.URL.Query().Get("msg")))
	default:
		http.NotFound(w, r)
	}
}

// startNativeHTTP serves echoMsgHandler with net/http on a fresh loopback port.
func startNativeHTTP() (*peer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("native http peer: %w", err)
	}
	srv := &http.Server{Handler: &echoMsgHandler{}, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return &peer{name: "native", addr: ln.Addr().String(), stop: func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			srv.Close()
		}
	}}, nil
}

// startNativeEcho is the native twin of apps/echo's TCP side: io.Copy(c, c) per
// connection, on a fresh loopback port.
func startNativeEcho() (*peer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("native echo peer: %w", err)
	}
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			go func() {
				io.Copy(c, c)
				c.Close()
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
			}()
		}
	}()
	return &peer{name: "native", addr: ln.Addr().String(), stop: func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	}}, nil
}

// portFree reports whether addr can be listened on again (that is, the peer
// released it).
func portFree(addr string) bool {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	ln.Close()
	return true
}
