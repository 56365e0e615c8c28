package hosted

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/mwasm/mwasm/shim"
)

// DefaultSectorSize is the sector size OpenDisk uses when given 0.
const DefaultSectorSize = 512

// fileDisk is a shim.BlockDevice backed by a regular host file.
type fileDisk struct {
	f          *os.File
	sectorSize int
	sectors    uint64
}

// OpenDisk opens the disk image at path (read-write) as a block device of
// sectorSize-byte sectors (0 means DefaultSectorSize). The image must be an existing
// regular file whose size is a positive multiple of the sector size.
func OpenDisk(path string, sectorSize int) (shim.BlockDevice, error) {
	if sectorSize == 0 {
		sectorSize = DefaultSectorSize
	}
	if sectorSize < 512 || sectorSize > 65536 || sectorSize&(sectorSize-1) != 0 {
		return nil, fmt.Errorf("disk sector size %d is not supported: use a power of two from 512 to 65536", sectorSize)
	}
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("disk image %s does not exist: create one first, e.g. truncate -s 64M %s", path, path)
		}
		return nil, fmt.Errorf("cannot use disk image: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("disk image %s is not a regular file (%s): give a file, e.g. one made with truncate -s 64M disk.img", path, st.Mode().Type())
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("cannot open disk image: %w (it must be a readable and writable file)", err)
	}
	if st, err = f.Stat(); err != nil {
		f.Close()
		return nil, fmt.Errorf("cannot stat disk image %s: %w", path, err)
	}
	size := st.Size()
	if size <= 0 || size%int64(sectorSize) != 0 {
		f.Close()
		return nil, fmt.Errorf("disk image %s is %d bytes, which is not a positive multiple of the %d-byte sector size: resize it, e.g. truncate -s 64M %s",
			path, size, sectorSize, path)
	}
	return &fileDisk{f: f, sectorSize: sectorSize, sectors: uint64(size) / uint64(sectorSize)}, nil
}

// CreateDisk creates (or truncates) a zero-filled, sparse disk image of size bytes at
// path. size must be a positive multiple of sectorSize (0 means DefaultSectorSize).
func CreateDisk(path string, size int64, sectorSize int) error {
	if sectorSize == 0 {
		sectorSize = DefaultSectorSize
	}
	if size <= 0 || sectorSize <= 0 || size%int64(sectorSize) != 0 {
		return fmt.Errorf("disk size %d for %s is not a positive multiple of the %d-byte sector size", size, path, sectorSize)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("cannot create disk image: %w", err)
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return fmt.Errorf("cannot size disk image %s: %w", path, err)
	}
	return f.Close()
}

func (d *fileDisk) SectorSize() int { return d.sectorSize }
func (d *fileDisk) Sectors() uint64 { return d.sectors }

func (d *fileDisk) ReadAt(p []byte, off int64) error {
	_, err := d.f.ReadAt(p, off)
	return err
}

func (d *fileDisk) WriteAt(p []byte, off int64) error {
	_, err := d.f.WriteAt(p, off)
	return err
}

func (d *fileDisk) Sync() error  { return datasync(d.f) }
func (d *fileDisk) Close() error { return d.f.Close() }
