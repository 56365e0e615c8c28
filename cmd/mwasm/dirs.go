package main

import (
	"os"
	"strings"

	"github.com/mwasm/mwasm/abi/manifest"
	"github.com/mwasm/mwasm/aot/image"
	"github.com/mwasm/mwasm/shim"
	"github.com/mwasm/mwasm/shim/hosted"
	"github.com/mwasm/mwasm/shim/memfs"
)

// dirSpec is one --dir flag: HOST[::GUEST][:ro].
type dirSpec struct {
	host, guest string
	readOnly    bool
}

// dirUsage is the flag help shared by run and build.
const dirUsage = "preopen directory `HOST[::GUEST][:ro]` for the app as GUEST (default: HOST as given); :ro makes it read-only (repeatable)"

// parseDirs parses the --dir flags of command cmd ("mwasm run", "mwasm build").
func parseDirs(cmd string, specs []string) ([]dirSpec, error) {
	var out []dirSpec
	seen := map[string]bool{}
	for _, s := range specs {
		d := dirSpec{}
		rest := s
		if strings.HasSuffix(rest, ":ro") {
			d.readOnly = true
			rest = strings.TrimSuffix(rest, ":ro")
		}
		d.host, d.guest = rest, rest
		if h, g, ok := strings.Cut(rest, "::"); ok {
			d.host, d.guest = h, g
		}
		switch {
		case d.host == "":
			return nil, usageErrorf("--dir %q (%s): the host directory is empty; give --dir HOST[::GUEST][:ro], e.g. --dir ./static::/www", s, cmd)
		case d.guest == "":
			return nil, usageErrorf("--dir %q (%s): the guest name after :: is empty; give e.g. --dir %s::/data", s, cmd, d.host)
		case strings.ContainsRune(d.guest, 0) || strings.ContainsRune(d.host, 0):
			return nil, usageErrorf("--dir %q (%s): a path holds a NUL byte", s, cmd)
		case seen[d.guest]:
			return nil, usageErrorf("--dir %q (%s): the guest name %s is given twice", s, cmd, d.guest)
		}
		seen[d.guest] = true
		st, err := os.Stat(d.host)
		switch {
		case err != nil:
			return nil, usageErrorf("--dir %q (%s): %v; give an existing directory", s, cmd, err)
		case !st.IsDir():
			return nil, usageErrorf("--dir %q (%s): %s is not a directory", s, cmd, d.host)
		}
		out = append(out, d)
	}
	return out, nil
}

// openHostDirs opens the --dir trees of mwasm run; close closes them.
func openHostDirs(specs []dirSpec) (dirs []shim.Preopen, close func(), err error) {
	close = func() {
		for _, d := range dirs {
			d.Root.Close()
		}
	}
	for _, s := range specs {
		root, err := hosted.OpenHostDir(s.host)
		if err != nil {
			close()
			return nil, func() {}, usageErrorf("--dir %s (mwasm run): %v", s.host, err)
		}
		dirs = append(dirs, shim.Preopen{Guest: s.guest, Root: root, ReadOnly: s.readOnly})
	}
	return dirs, close, nil
}

// packDirs packs the --dir trees of mwasm build into a files blob.
func packDirs(specs []dirSpec) (image.Files, error) {
	if len(specs) == 0 {
		return image.Files{}, nil
	}
	var srcs []memfs.Source
	for _, s := range specs {
		srcs = append(srcs, memfs.Source{Host: s.host, Guest: s.guest, ReadOnly: s.readOnly})
	}
	blob, sums, err := memfs.Pack(srcs)
	if err != nil {
		return image.Files{}, usageErrorf("%v (mwasm build)", err)
	}
	f := image.Files{Blob: blob}
	for _, s := range sums {
		f.Trees = append(f.Trees, manifest.Tree{Guest: s.Guest, ReadOnly: s.ReadOnly, Files: s.Files, Dirs: s.Dirs, Links: s.Links, Bytes: s.Bytes})
	}
	return f, nil
}
