package main

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{10, 10, 1, 1000, 11}, 10},
	} {
		in := append([]float64(nil), tc.in...)
		got, ok := median(tc.in)
		if !ok || got != tc.want {
			t.Errorf("median(%v) = %v, %v; want %v", in, got, ok, tc.want)
		}
		for i := range in {
			if in[i] != tc.in[i] {
				t.Fatalf("median reordered its input: %v", tc.in)
			}
		}
	}
	if _, ok := median(nil); ok {
		t.Error("median(nil) reported a value")
	}
}

func TestPercentile(t *testing.T) {
	xs := make([]float64, 100)
	for i := range xs {
		xs[i] = float64(100 - i) // 100..1
	}
	for _, tc := range []struct{ p, want float64 }{{99, 99}, {50, 50}, {100, 100}, {0, 1}, {1, 1}} {
		if got, ok := percentile(xs, tc.p); !ok || got != tc.want {
			t.Errorf("percentile(1..100, %v) = %v, %v; want %v", tc.p, got, ok, tc.want)
		}
	}
	if _, ok := percentile(xs, 101); ok {
		t.Error("percentile 101 accepted")
	}
}

func TestFormatRatio(t *testing.T) {
	for _, tc := range []struct {
		a, b float64
		want string
	}{
		{1, 8, "0.125×"},
		{2, 3, "0.667×"},
		{3, 1, "3.00×"},
		{1234, 10, "123×"},
		{99960, 10000, "10.0×"}, // rounding carries into a new digit
		{1, 0, "n/a"},
		{0, 5, "0×"},
	} {
		if got := formatRatio(tc.a, tc.b); got != tc.want {
			t.Errorf("formatRatio(%v, %v) = %q; want %q", tc.a, tc.b, got, tc.want)
		}
	}
	if got := formatSig(12345.6, 3); got != "12346" {
		t.Errorf("formatSig(12345.6, 3) = %q", got)
	}
	if got := formatSig(0.0012345, 2); got != "0.0012" {
		t.Errorf("formatSig(0.0012345, 2) = %q", got)
	}
}

const wrkOut = `Running 5s test @ http://127.0.0.1:8080/api/echo?msg=wrk
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.20ms    0.50ms  12.00ms   90.00%
    Req/Sec     6.70k   300.00     7.10k    80.00%
  33350 requests in 5.00s, 4.10MB read
  Socket errors: connect 0, read 2, write 1, timeout 4
  Non-2xx or 3xx responses: 12
Requests/sec:   6669.87
Transfer/sec:    839.00KB
`

func TestParseWrk(t *testing.T) {
	r, err := parseWrk(wrkOut)
	if err != nil {
		t.Fatal(err)
	}
	want := wrkResult{ReqPerSec: 6669.87, Requests: 33350, Non2xx: 12, SocketErrors: 7}
	if r != want {
		t.Errorf("parseWrk = %+v; want %+v", r, want)
	}
	if _, err := parseWrk("unable to connect to 127.0.0.1:1 Connection refused\n"); err == nil || !strings.Contains(err.Error(), "Requests/sec") {
		t.Errorf("parseWrk of a failed run: err = %v", err)
	}
	if _, err := parseWrk("Requests/sec: lots\n"); err == nil {
		t.Error("parseWrk accepted a non-number")
	}
}

func TestProcParsers(t *testing.T) {
	if got := cpuModel("processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n"); got != "Intel(R) Xeon(R) CPU @ 2.20GHz" {
		t.Errorf("cpuModel = %q", got)
	}
	if got := memTotal("MemTotal:        8140556 kB\nMemFree: 1 kB\n"); got != 8140556*1024 {
		t.Errorf("memTotal = %d", got)
	}
	// The command name may hold spaces and ')'; utime=7, stime=5.
	stat := "1234 (my (odd) cmd) S 1 1234 1234 0 -1 4194560 100 0 0 0 7 5 0 0 20 0 3 0 100 1000 200"
	if got, err := procCPUTicks(stat); err != nil || got != 12 {
		t.Errorf("procCPUTicks = %d, %v; want 12", got, err)
	}
	if _, err := procCPUTicks("garbage"); err == nil {
		t.Error("procCPUTicks accepted garbage")
	}
	ver := "mwasm 0.1.0-dev (0123456789ab)\ngo go1.26.3 linux/amd64\nwazero v1.12.0\n"
	if got := versionLine(ver, "wazero"); got != "v1.12.0" {
		t.Errorf("versionLine wazero = %q", got)
	}
	if got := versionLine(ver, "mwasm"); got != "0.1.0-dev (0123456789ab)" {
		t.Errorf("versionLine mwasm = %q", got)
	}
	gomod := "module x\n\nrequire (\n\tgithub.com/spf13/cobra v1.10.2 // indirect\n\tgithub.com/tetratelabs/wazero v1.12.0\n)\n"
	if got := requireVersion(gomod, "github.com/tetratelabs/wazero"); got != "v1.12.0" {
		t.Errorf("requireVersion = %q", got)
	}
}

// TestNativePeers drives the load functions against the native peers: it checks
// that they count correct answers and catch wrong bytes, not how fast they are.
func TestNativePeers(t *testing.T) {
	ctx := context.Background()
	h, err := startNativeHTTP()
	if err != nil {
		t.Fatal(err)
	}
	defer h.stop()
	if err := probeHTTP(ctx, h.addr, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	res := httpLoad(ctx, h.addr, 2, 200*time.Millisecond)
	if res.OK == 0 || res.Bad != 0 || res.Errors != 0 {
		t.Errorf("httpLoad against the native peer: %+v", res)
	}

	e, err := startNativeEcho()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := streamEcho(ctx, e.addr, 3<<20+17, 10*time.Second); err != nil {
		t.Error(err)
	}
	rtts, err := pingPong(ctx, e.addr, 50, 5*time.Second)
	if err != nil || len(rtts) != 50 {
		t.Errorf("pingPong: %d round trips, %v", len(rtts), err)
	}
	e.stop()
	if !portFree(e.addr) {
		t.Errorf("native echo port %s still in use after stop", e.addr)
	}

	// A server that echoes with one byte flipped must be caught.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 4096)
		var total int
		for {
			n, err := c.Read(buf)
			for i := range n {
				if total+i == 5000 {
					buf[i] ^= 1
				}
			}
			total += n
			if _, werr := c.Write(buf[:n]); werr != nil || err != nil {
				return
			}
		}
	}()
	_, err = streamEcho(ctx, ln.Addr().String(), 1<<16, 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "byte 5000 came back wrong") {
		t.Errorf("streamEcho through a corrupting server: err = %v", err)
	}
}
