package hosted

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/mwasm/mwasm/shim/hosted/usernet"
)

var (
	echoOnce sync.Once
	echoWasm []byte
	echoErr  error
)

// echoApp builds apps/echo with GOOS=wasip1 GOARCH=wasm (once per test binary).
func echoApp(tb testing.TB) []byte {
	tb.Helper()
	echoOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hosted-echo")
		if err != nil {
			echoErr = err
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "echo.wasm")
		cmd := exec.Command("go", "build", "-o", out, "../../apps/echo")
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if msg, err := cmd.CombinedOutput(); err != nil {
			echoErr = err
			tb.Logf("go build: %s", msg)
			return
		}
		echoWasm, echoErr = os.ReadFile(out)
	})
	if echoErr != nil {
		tb.Fatalf("building apps/echo: %v", echoErr)
	}
	return echoWasm
}

// lineWaiter is an io.Writer that signals when a line containing want was written.
type lineWaiter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	ok   chan struct{}
	once sync.Once
}

func (l *lineWaiter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	if strings.Contains(l.buf.String(), l.want) {
		l.once.Do(func() { close(l.ok) })
	}
	return len(p), nil
}

// runEcho starts apps/echo under Run with a usernet device forwarding a host TCP
// port to the app's port 7, waits until it listens and returns the host address.
// The app and the device are stopped at cleanup.
func runEcho(tb testing.TB, spec string) (addr string, dev *usernet.Device) {
	tb.Helper()
	wasm := echoApp(tb)
	opts, err := usernet.ParseSpec(spec)
	if err != nil {
		tb.Fatal(err)
	}
	dev, err = usernet.New(opts, nil)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := &lineWaiter{want: "listening", ok: make(chan struct{})}
	var errOut bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(ctx, wasm, Config{Name: "echo", Stdout: out, Stderr: &errOut, Log: hclog.NewNullLogger(),
			Net:              &NetConfig{Device: dev, IPv4: usernet.GuestPrefix.String(), Gateway: usernet.GatewayIP.String()},
			CompilationCache: cache})
	}()
	tb.Cleanup(func() {
		cancel()
		<-done
		dev.Close()
	})
	select {
	case <-out.ok:
	case <-done:
		tb.Fatalf("echo app exited early: %s", errOut.String())
	case <-time.After(2 * time.Minute):
		tb.Fatal("echo app did not start listening within 2 minutes")
	}
	return dev.Forwards()[0].Host.String(), dev
}

const echoSpec = "user,hostfwd=tcp:127.0.0.1:0-:7"

// BenchmarkEchoStream streams 1 MiB per op through apps/echo under wazero over
// usernet and reads it back concurrently (the netbench "TCP echo" workload).
func BenchmarkEchoStream(b *testing.B) { benchStream(b, echoSpec) }

// BenchmarkEchoStreamMTU64K is BenchmarkEchoStream with usernet's mtu=65000.
func BenchmarkEchoStreamMTU64K(b *testing.B) { benchStream(b, echoSpec+",mtu=65000") }

func benchStream(b *testing.B, spec string) {
	addr, dev := runEcho(b, spec)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	const chunk = 1 << 20
	data := make([]byte, chunk)
	rand.Read(data)
	got := make([]byte, chunk)
	b.SetBytes(chunk)
	b.ResetTimer()
	cpu0 := processCPU()
	errc := make(chan error, 1)
	go func() {
		for i := 0; i < b.N; i++ {
			if _, err := c.Write(data); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for i := 0; i < b.N; i++ {
		if _, err := io.ReadFull(c, got); err != nil {
			b.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			b.Fatal("echoed bytes differ")
		}
	}
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(dev.Dropped()), "drops")
	reportCPU(b, cpu0)
}

// processCPU is the process's user+system time so far. CPU per op varies less than
// wall time per op on a shared machine.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N)/1e3, "cpu-µs/op")
}

// BenchmarkEchoRTT is one 64-byte round trip per op through apps/echo.
func BenchmarkEchoRTT(b *testing.B) {
	addr, _ := runEcho(b, echoSpec)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	msg := make([]byte, 64)
	got := make([]byte, 64)
	b.ResetTimer()
	cpu0 := processCPU()
	defer reportCPU(b, cpu0)
	for i := 0; i < b.N; i++ {
		msg[0] = byte(i)
		if _, err := c.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, got); err != nil {
			b.Fatal(err)
		}
		if got[0] != byte(i) {
			b.Fatal("wrong echo")
		}
	}
}
