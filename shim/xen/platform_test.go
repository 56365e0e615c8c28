package xen

import (
	"strings"
	"testing"

	"github.com/mwasm/mwasm/shim"
	"github.com/mwasm/mwasm/shim/xen/hv"
	"github.com/mwasm/mwasm/shim/xen/xenfake"
)

var _ Machine = (*xenfake.Hypervisor)(nil)

func start(t *testing.T) (*Platform, *xenfake.Hypervisor) {
	t.Helper()
	h := xenfake.NewHypervisor()
	p, err := Start(h)
	if err != nil {
		t.Fatal(err)
	}
	return p, h
}

// shutdownOf runs f and returns the reason it shut the domain down with, or -1.
func shutdownOf(f func()) (reason int) {
	defer func() {
		if r := recover(); r != nil {
			s, ok := r.(xenfake.Shutdown)
			if !ok {
				panic(r)
			}
			reason = int(s.Reason)
		}
	}()
	f()
	return -1
}

func TestStartAndConsole(t *testing.T) {
	p, h := start(t)
	if !h.Unmasked[xenfake.ConsolePort] || !h.Unmasked[xenfake.StorePort] {
		t.Errorf("event channels not unmasked: %v", h.Unmasked)
	}
	h.Console.Chunk = 100 // a slow backend: the writer must wait, not drop
	long := strings.Repeat("0123456789", 1000) + "\n"
	p.Console(1, []byte("hello\n"))
	p.Console(2, []byte(long))
	for h.Console.Drain() {
	}
	if got := h.Console.Out.String(); got != "hello\n"+long {
		t.Errorf("console got %d bytes, want %d", len(got), len("hello\n"+long))
	}
}

func TestShutdownRequests(t *testing.T) {
	for _, tc := range []struct {
		value  string
		reason int
	}{{"poweroff", hv.ShutdownPoweroff}, {"halt", hv.ShutdownPoweroff}, {"reboot", hv.ShutdownReboot}} {
		p, h := start(t)
		h.Store.Set("control/shutdown", tc.value)
		h.Raise(xenfake.StorePort)
		got := shutdownOf(func() {
			for i := 0; i < 100; i++ {
				p.Wait(shim.NoDeadline)
			}
		})
		if got != tc.reason {
			t.Errorf("control/shutdown=%s: shutdown reason %d, want %d", tc.value, got, tc.reason)
		}
		if v := h.Store.Tree["/local/domain/1/control/shutdown"]; v != "" {
			t.Errorf("control/shutdown=%s was not acknowledged (still %q)", tc.value, v)
		}
		for h.Console.Drain() {
		}
		if !strings.Contains(h.Console.Out.String(), "mwasm: shutting down (control/shutdown = "+tc.value+")") {
			t.Errorf("console %q", h.Console.Out.String())
		}
	}
}

func TestUnsupportedShutdownRequest(t *testing.T) {
	p, h := start(t)
	h.Store.Set("control/shutdown", "suspend")
	h.Raise(xenfake.StorePort)
	if got := shutdownOf(func() {
		for i := 0; i < 20; i++ {
			p.Wait(h.Clock + 1000)
		}
	}); got != -1 {
		t.Fatalf("suspend shut the domain down (reason %d)", got)
	}
	for h.Console.Drain() {
	}
	if !strings.Contains(h.Console.Out.String(), "control/shutdown = suspend is not supported") {
		t.Errorf("console %q", h.Console.Out.String())
	}
}

func TestWaitDeadline(t *testing.T) {
	p, h := start(t)
	now := p.Now(shim.ClockMonotonic)
	// Wait may return early (an event); with nothing else happening it
	// reaches the deadline within a few calls.
	for i := 0; p.Now(shim.ClockMonotonic) < now+5_000_000; i++ {
		if i == 5 {
			t.Fatalf("Wait did not reach its deadline in %d calls", i)
		}
		p.Wait(now + 5_000_000)
	}
	if p.Now(shim.ClockRealtime) < 1_700_000_000_000_000_000 {
		t.Error("wall clock")
	}
	_ = h
}

func TestStartFailures(t *testing.T) {
	for _, tc := range []struct {
		param uint32
		want  string
	}{{hv.ParamConsolePFN, "no console page"}, {hv.ParamStorePFN, "no xenstore page"}} {
		h := xenfake.NewHypervisor()
		delete(h.Params, tc.param)
		if _, err := Start(h); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("without param %d: %v, want %q", tc.param, err, tc.want)
		}
	}
}
