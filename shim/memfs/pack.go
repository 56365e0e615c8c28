//go:build !wasip1

package memfs

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Source is one directory to pack: mwasm build --dir HOST::GUEST[:ro].
type Source struct {
	Host     string
	Guest    string
	ReadOnly bool
}

// Summary describes a packed tree (for the manifest and mwasm inspect).
type Summary struct {
	Guest    string
	ReadOnly bool
	Files    int    // regular files
	Dirs     int    // directories below the root
	Links    int    // symbolic links
	Bytes    uint64 // file contents
}

// Pack reads each source tree from the host and returns the files blob and a
// summary per tree. Regular files, directories and symbolic links are packed
// (a link's target as written, resolved by the app inside the tree); anything
// else (a FIFO, a socket, a device) is an error naming it, as is a name or link
// the tree cannot hold or a file over 2 GiB.
func Pack(srcs []Source) ([]byte, []Summary, error) {
	b := []byte(Magic)
	b = le32(b, uint32(len(srcs)))
	var sums []Summary
	for _, s := range srcs {
		if len(s.Guest) > 0xffff {
			return nil, nil, fmt.Errorf("--dir %s: the guest name is too long", s.Host)
		}
		flags := byte(0)
		if s.ReadOnly {
			flags = 1
		}
		b = append(b, flags)
		b = le16(b, len(s.Guest))
		b = append(b, s.Guest...)
		countAt := len(b)
		b = le32(b, 0)
		sum := Summary{Guest: s.Guest, ReadOnly: s.ReadOnly}
		var nrec uint32
		var walk func(dir string, parent uint32) error
		walk = func(dir string, parent uint32) error {
			ents, err := os.ReadDir(dir)
			if err != nil {
				return fmt.Errorf("--dir %s: %v", s.Host, err)
			}
			sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
			for _, e := range ents {
				path := filepath.Join(dir, e.Name())
				if !validName(e.Name()) {
					return fmt.Errorf("--dir %s: %s: the name cannot be held (at most %d bytes, no NUL)", s.Host, path, MaxName)
				}
				fi, err := os.Lstat(path)
				if err != nil {
					return fmt.Errorf("--dir %s: %v", s.Host, err)
				}
				var typ byte
				switch m := fi.Mode(); {
				case m.IsDir():
					typ = 3
				case m.IsRegular():
					typ = 4
				case m&os.ModeSymlink != 0:
					typ = 7
				default:
					return fmt.Errorf("--dir %s: %s is a %v, not a file, directory or symbolic link: remove it from the tree", s.Host, path, m.Type())
				}
				idx := nrec
				nrec++
				b = append(b, typ)
				b = le32(b, parent)
				b = le16(b, len(e.Name()))
				b = append(b, e.Name()...)
				b = le64(b, uint64(fi.ModTime().UnixNano()))
				switch typ {
				case 4:
					data, err := os.ReadFile(path)
					if err != nil {
						return fmt.Errorf("--dir %s: %v", s.Host, err)
					}
					if len(data) > maxFile {
						return fmt.Errorf("--dir %s: %s is larger than 2 GiB, the most an image's file can hold", s.Host, path)
					}
					if len(b)+len(data) > MaxBlob {
						return fmt.Errorf("--dir %s: the trees hold more than %d MiB (at %s), the most an image carries: leave the large files out, or put them on a disk", s.Host, MaxBlob>>20, path)
					}
					b = le32(b, uint32(len(data)))
					b = append(b, data...)
					sum.Files++
					sum.Bytes += uint64(len(data))
				case 7:
					t, err := os.Readlink(path)
					if err != nil {
						return fmt.Errorf("--dir %s: %v", s.Host, err)
					}
					if len(t) > MaxLink || t == "" {
						return fmt.Errorf("--dir %s: the symbolic link %s has a target the tree cannot hold", s.Host, path)
					}
					b = le16(b, len(t))
					b = append(b, t...)
					sum.Links++
				case 3:
					sum.Dirs++
					if err := walk(path, idx); err != nil {
						return err
					}
				}
			}
			return nil
		}
		if err := walk(s.Host, rootParent); err != nil {
			return nil, nil, err
		}
		b[countAt], b[countAt+1], b[countAt+2], b[countAt+3] = byte(nrec), byte(nrec>>8), byte(nrec>>16), byte(nrec>>24)
		sums = append(sums, sum)
	}
	return b, sums, nil
}

func le16(b []byte, v int) []byte { return append(b, byte(v), byte(v>>8)) }
func le32(b []byte, v uint32) []byte {
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}
func le64(b []byte, v uint64) []byte { return le32(le32(b, uint32(v)), uint32(v>>32)) }
