package xenboot

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// Compression is how an image is written. Xen's domain builder (libxenguest
// 4.17) gunzips an ELF kernel before it parses it, so the file on disk can be
// much smaller than the ELF it holds. It unpacks xz, zstd and lz4 too, but only
// as the payload of a Linux bzImage: an xz-compressed ELF is refused ("no
// loader found: Invalid kernel", tried on the lab's Xen), so gzip is the one
// format, and the default. Measured on the C hello (6.8 MB of ELF):
// compress/gzip's best level writes 2.16 MB in 0.6 s.
type Compression string

const (
	CompressGzip Compression = "gzip"
	CompressNone Compression = "none"
)

// ParseCompression reads a --compress value.
func ParseCompression(s string) (Compression, error) {
	switch c := Compression(s); c {
	case CompressGzip, CompressNone:
		return c, nil
	}
	return "", fmt.Errorf("%q is not a compression: use gzip (the default; Xen's loader unpacks no other) or none", s)
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
	default:
		return nil, fmt.Errorf("unknown compression %q", c)
	}
	return out.Bytes(), nil
}

// gzipMagic starts a gzip stream.
var gzipMagic = []byte{0x1f, 0x8b}

// MaxImage bounds what Decompress unpacks (an image is far smaller).
const MaxImage = 4 << 30

// Decompress returns the ELF inside an image file and how it was
// compressed (CompressNone: b itself). Data that is not gzip is returned as
// it is.
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
