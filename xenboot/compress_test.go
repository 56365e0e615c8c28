package xenboot

import (
	"bytes"
	"math/rand"
	"testing"
)

func TestCompressRoundTrip(t *testing.T) {
	elf := append([]byte("\x7fELF"), bytes.Repeat([]byte("image text "), 5000)...)
	noise := make([]byte, 3000)
	rand.New(rand.NewSource(1)).Read(noise)
	elf = append(elf, noise...)
	for _, c := range []Compression{CompressGzip, CompressNone} {
		out, err := Compress(elf, c)
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		if c != CompressNone && len(out) >= len(elf)/4 {
			t.Errorf("%s: %d bytes from %d: not compressed", c, len(out), len(elf))
		}
		back, got, err := Decompress(out)
		if err != nil || got != c || !bytes.Equal(back, elf) {
			t.Errorf("%s: Decompress gave %s, %v, equal %v", c, got, err, bytes.Equal(back, elf))
		}
		if c != CompressNone {
			// A damaged stream is an error, never a panic.
			for _, n := range []int{len(out) / 2, len(out) - 3} {
				if _, _, err := Decompress(out[:n]); err == nil {
					t.Errorf("%s cut to %d bytes: no error", c, n)
				}
			}
		}
	}
	if _, err := ParseCompression("xz"); err == nil {
		t.Error("xz accepted: Xen does not load an xz-compressed ELF")
	}
}
