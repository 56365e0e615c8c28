package hosted

import (
	"os"
	"syscall"
)

// datasync flushes f's data (not its metadata, which a disk image does not need).
func datasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
