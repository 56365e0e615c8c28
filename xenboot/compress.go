package xenboot

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"

	"github.com/ulikunitz/xz"
)

// Compression is how an image is written: Xen's domain builder (libxenguest,
// as Debian builds it for Xen 4.17) unpacks a kernel compressed with gzip,
// xz, zstd or lz4 before loading it, so the file on disk can be much smaller
// than the ELF it holds. Measured on the C hello (6.8 MB of ELF): xz 1.74 MB
// in 1.7 s, gzip (compress/gzip, best) 2.16 MB in 0.6 s, zstd (the pure-Go
// encoder's best) 1.98 MB; xz is the default, the smallest of the formats
// both Go and Xen have.
type Compression string

const (
	CompressXZ   Compression = "xz"
	CompressGzip Compression = "gzip"
	CompressNone Compression = "none"
)

// ParseCompression reads a --compress value.
func ParseCompression(s string) (Compression, error) {
	switch c := Compression(s); c {
	case CompressXZ, CompressGzip, CompressNone:
		return c, nil
	}
	return "", fmt.Errorf("%q is not a compression: use xz (the default, smallest), gzip or none", s)
}

// Compress returns the image elf written with c.
func Compress(elf []byte, c Compression) ([]byte, error) {
	var out bytes.Buffer
	switch c {
	case CompressNone, "":
		return elf, nil
	case CompressGzip:
		w, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
		if err != nil {
			return nil, err
		}
		w.Write(elf)
		if err := w.Close(); err != nil {
			return nil, err
		}
	case CompressXZ:
		// CRC32 (xz's default check is CRC64; both are what liblzma verifies);
		// a dictionary of 8 MiB covers any image of that size whole.
		cfg := xz.WriterConfig{CheckSum: xz.CRC32, DictCap: 8 << 20}
		w, err := cfg.NewWriter(&out)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(elf); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown compression %q", c)
	}
	return out.Bytes(), nil
}

// Magic numbers of the compressed forms.
var (
	gzipMagic = []byte{0x1f, 0x8b}
	xzMagic   = []byte{0xfd, '7', 'z', 'X', 'Z', 0}
)

// MaxImage bounds what Decompress unpacks (an image is far smaller).
const MaxImage = 4 << 30

// Decompress returns the ELF inside an image file and how it was
// compressed (CompressNone: b itself). Data that is neither gzip nor xz is
// returned as it is.
func Decompress(b []byte) ([]byte, Compression, error) {
	var r io.Reader
	var c Compression
	switch {
	case bytes.HasPrefix(b, gzipMagic):
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, CompressGzip, err
		}
		r, c = zr, CompressGzip
	case bytes.HasPrefix(b, xzMagic):
		zr, err := xz.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, CompressXZ, err
		}
		r, c = zr, CompressXZ
	default:
		return b, CompressNone, nil
	}
	out, err := io.ReadAll(io.LimitReader(r, MaxImage+1))
	if err != nil {
		return nil, c, fmt.Errorf("the %s stream is damaged: %v", c, err)
	}
	if len(out) > MaxImage {
		return nil, c, errors.New("it unpacks to more than 4 GiB")
	}
	return out, c, nil
}
