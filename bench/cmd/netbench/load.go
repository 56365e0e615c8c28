package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// httpResult is one run of the Go HTTP load generator.
type httpResult struct {
	OK      int64         // 200 responses with the expected body, completed inside the window
	Bad     int64         // responses with another status or body
	Errors  int64         // dial, write, read or parse errors (each costs a reconnect)
	Elapsed time.Duration // the measuring window
}

func (r httpResult) reqPerSec() float64 { return float64(r.OK) / r.Elapsed.Seconds() }

// httpLoad runs conc clients against addr for dur. Each client keeps one HTTP/1.1
// connection alive and sends GET /api/echo?msg=<unique> back to back, reading
// each response fully before the next request (no pipelining). A response
// counts only if it is a 200 whose body is the msg sent, and it completed before
// the window closed.
func httpLoad(ctx context.Context, addr string, conc int, dur time.Duration) httpResult {
	var ok, bad, errs atomic.Int64
	start := time.Now()
	end := start.Add(dur)
	var wg sync.WaitGroup
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			httpClient(ctx, addr, w, end, &ok, &bad, &errs)
		}()
	}
	wg.Wait()
	return httpResult{OK: ok.Load(), Bad: bad.Load(), Errors: errs.Load(), Elapsed: dur}
}

// requestGrace bounds a request still in flight when the window closes.
const requestGrace = 10 * time.Second

func httpClient(ctx context.Context, addr string, id int, end time.Time, ok, bad, errs *atomic.Int64) {
	var c net.Conn
	var br *bufio.Reader
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	drop := func() {
		errs.Add(1)
		if c != nil {
			c.Close()
			c = nil
		}
		time.Sleep(5 * time.Millisecond) // do not spin on a refusing server
	}
	prefix := "nb" + strconv.Itoa(id) + "-"
	req := make([]byte, 0, 128)
	for i := 0; ctx.Err() == nil && time.Now().Before(end); i++ {
		if c == nil {
			d := net.Dialer{Timeout: 5 * time.Second}
			var err error
			if c, err = d.DialContext(ctx, "tcp", addr); err != nil {
				c = nil
				drop()
				continue
			}
			c.SetDeadline(end.Add(requestGrace))
			br = bufio.NewReaderSize(c, 16<<10)
		}
		msg := prefix + strconv.Itoa(i)
		req = append(req[:0], "GET /api/echo?msg="...)
		req = append(req, msg...)
		req = append(req, " HTTP/1.1\r\nHost: netbench\r\nUser-Agent: netbench\r\n\r\n"...)
		if _, err := c.Write(req); err != nil {
			drop()
			continue
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			drop()
			continue
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			drop()
			continue
		}
		switch {
		case resp.StatusCode != http.StatusOK || string(body) != msg:
			bad.Add(1)
		case time.Now().Before(end):
			ok.Add(1)
		}
		if resp.Close {
			c.Close()
			c = nil
		}
	}
}

// probeHTTP waits (up to timeout) until addr answers GET /api/echo correctly.
func probeHTTP(ctx context.Context, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) && ctx.Err() == nil {
		var ok, bad, errs atomic.Int64
		httpClient(ctx, addr, 0, time.Now().Add(200*time.Millisecond), &ok, &bad, &errs)
		if ok.Load() > 0 {
			return nil
		}
		last = fmt.Errorf("%d wrong responses, %d connection errors", bad.Load(), errs.Load())
		time.Sleep(100 * time.Millisecond)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("http://%s/api/echo gave no correct answer within %v: %v", addr, timeout, last)
}

// runWrk runs wrk (one thread, conc connections) against url for dur.
func runWrk(ctx context.Context, wrk, url string, conc int, dur time.Duration) (wrkResult, error) {
	secs := int(dur.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	wctx, cancel := context.WithTimeout(ctx, dur+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(wctx, wrk, "-t1", "-c"+strconv.Itoa(conc), "-d"+strconv.Itoa(secs)+"s", "--timeout", "10s", url)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return wrkResult{}, ctx.Err()
	}
	if err != nil {
		return wrkResult{}, fmt.Errorf("%s: %v: %s", cmd, err, firstLines(string(out), 5))
	}
	return parseWrk(string(out))
}

// pattern is the data streamed through the echo servers: 1 MiB of seeded
// pseudo-random bytes, repeated.
var pattern = func() []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, 1<<20)
	for i := 0; i < len(b); i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}()

// streamEcho sends n bytes to the echo server at addr while reading them back
// concurrently, checks every byte, and returns the wall time from the first
// write to the last byte read.
func streamEcho(ctx context.Context, addr string, n int64, timeout time.Duration) (time.Duration, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return 0, fmt.Errorf("echo stream: %w", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()

	const chunk = 32 << 10
	werr := make(chan error, 1)
	start := time.Now()
	go func() {
		for off := int64(0); off < n; {
			p := off % int64(len(pattern))
			m := min(int64(chunk), int64(len(pattern))-p, n-off)
			if _, err := c.Write(pattern[p : p+m]); err != nil {
				werr <- fmt.Errorf("echo stream: write at byte %d: %w", off, err)
				return
			}
			off += m
		}
		werr <- nil
	}()

	buf := make([]byte, 64<<10)
	for got := int64(0); got < n; {
		m, err := c.Read(buf[:min(int64(len(buf)), n-got)])
		if m > 0 {
			if off, ok := samePattern(buf[:m], got); !ok {
				return 0, fmt.Errorf("echo stream: byte %d came back wrong", off)
			}
			got += int64(m)
		}
		if err != nil {
			if werr := pendingErr(werr); werr != nil {
				return 0, werr
			}
			if errors.Is(err, io.EOF) {
				return 0, fmt.Errorf("echo stream: the server closed after %d of %d bytes", got, n)
			}
			return 0, fmt.Errorf("echo stream: read after %d of %d bytes: %w", got, n, err)
		}
	}
	elapsed := time.Since(start)
	if err := <-werr; err != nil {
		return 0, err
	}
	return elapsed, nil
}

func pendingErr(ch chan error) error {
	select {
	case err := <-ch:
		return err
	default:
		return nil
	}
}

// samePattern checks b against the stream pattern from stream offset off; if a
// byte differs it returns that byte's stream offset and false.
func samePattern(b []byte, off int64) (int64, bool) {
	for len(b) > 0 {
		p := off % int64(len(pattern))
		m := min(int64(len(b)), int64(len(pattern))-p)
		if !bytes.Equal(b[:m], pattern[p:p+m]) {
			for i := range m {
				if b[i] != pattern[p+i] {
					return off + i, false
				}
			}
		}
		b, off = b[m:], off+m
	}
	return 0, true
}

// pingSize is the message size of the latency test.
const pingSize = 64

// pingPong sends a 64-byte message and waits for it to come back, count times or
// until maxDur has passed, on one connection; it returns the round-trip times in
// microseconds (after 20 unmeasured warm-up round trips).
func pingPong(ctx context.Context, addr string, count int, maxDur time.Duration) ([]float64, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("ping-pong: %w", err)
	}
	defer c.Close()
	end := time.Now().Add(maxDur)
	c.SetDeadline(end.Add(requestGrace))
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()

	msg := make([]byte, pingSize)
	back := make([]byte, pingSize)
	const warm = 20
	rtts := make([]float64, 0, count)
	for i := 0; i < count+warm && (i < warm || time.Now().Before(end)); i++ {
		copy(msg, pattern[(i*pingSize)%len(pattern):])
		t := time.Now()
		if _, err := c.Write(msg); err != nil {
			return nil, fmt.Errorf("ping-pong: write %d: %w", i, err)
		}
		if _, err := io.ReadFull(c, back); err != nil {
			return nil, fmt.Errorf("ping-pong: read %d: %w", i, err)
		}
		rtt := time.Since(t)
		if !bytes.Equal(msg, back) {
			return nil, fmt.Errorf("ping-pong: message %d came back wrong", i)
		}
		if i >= warm {
			rtts = append(rtts, float64(rtt.Nanoseconds())/1e3)
		}
	}
	if len(rtts) == 0 {
		return nil, fmt.Errorf("ping-pong: no round trip finished within %v", maxDur)
	}
	return rtts, nil
}
