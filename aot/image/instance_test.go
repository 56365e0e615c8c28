package image

import (
	"bytes"
	"testing"
)

func TestInitialImage(t *testing.T) {
	// Applied in order, later over earlier; apart by at least 4 KiB of zeros
	// they stay apart, closer they join; zeros at the edges are dropped.
	segs := []segment{
		{100, []byte("hello")},
		{102, []byte("LL")},
		{110, []byte("\x00\x00world\x00")},
		{100 + 8192, []byte("far")},
	}
	runs := initialImage(segs)
	if len(runs) != 2 {
		t.Fatalf("%d runs: %+v", len(runs), runs)
	}
	if runs[0].off != 100 || !bytes.Equal(runs[0].data, []byte("heLLo\x00\x00\x00\x00\x00\x00\x00world")) {
		t.Errorf("first run at %d: %q", runs[0].off, runs[0].data)
	}
	if runs[1].off != 8292 || string(runs[1].data) != "far" {
		t.Errorf("second run at %d: %q", runs[1].off, runs[1].data)
	}
	// The bytes the runs write, on zeroed memory, are the segments applied in order.
	mem := make([]byte, 9000)
	want := make([]byte, 9000)
	for _, s := range segs {
		copy(want[s.off:], s.data)
	}
	for _, r := range runs {
		copy(mem[r.off:], r.data)
	}
	if !bytes.Equal(mem, want) {
		t.Error("the runs do not reproduce the segments")
	}
	if initialImage(nil) != nil || len(initialImage([]segment{{5, []byte{0, 0}}})) != 0 {
		t.Error("empty or all-zero segments should give no runs")
	}
}
