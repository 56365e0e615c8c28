package hosted

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/mwasm/mwasm/shim"
)

// TestStreamType: the filetype a stream of Config is reported with is that of
// the host file behind it.
func TestStreamType(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	closed, _ := os.Open(os.DevNull)
	closed.Close()
	dir, err := os.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	for _, c := range []struct {
		name string
		s    any
		want uint8
	}{
		{"file", f, shim.FiletypeRegular},
		{"pipe", w, shim.FiletypeUnknown},
		{"/dev/null", null, shim.FiletypeCharacter},
		{"a Go buffer", new(bytes.Buffer), shim.FiletypeUnknown},
		{"no stream", nil, shim.FiletypeCharacter},
		{"a closed file", closed, shim.FiletypeCharacter},
		{"a directory", dir, shim.FiletypeDirectory},
	} {
		if got := streamType(c.s); got != c.want {
			t.Errorf("%s: filetype %d, want %d", c.name, got, c.want)
		}
	}
}
