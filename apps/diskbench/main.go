// Command diskbench measures /dev/disk0: sequential write (then fdatasync),
// sequential read of a part of the disk it did not write (so no cache holds
// it), and small synchronous writes (4 KiB, then fdatasync, repeated), and
// prints one line:
//
//	diskbench: write W MB/s, read R MB/s, S fsyncs/s (N MiB, M syncs)
//
// It needs a disk of at least 2N MiB. Built natively (go build) it runs in a
// Linux guest the same way, with /dev/disk0 a link to the block device and
// MWASM_DISK0_SECTOR_SIZE and MWASM_DISK0_SECTORS set by hand.
//
//	mwasm build --net vif --disk apps/diskbench -o diskbench.xen -- -mib 16
package main

import (
	"errors"
	"flag"
	"os"
	"strconv"
	"time"

	"github.com/mwasm/mwasm/abi"
)

func main() {
	mib := flag.Int("mib", 16, "MiB written and read")
	syncs := flag.Int("syncs", 100, "synchronous 4 KiB writes")
	flag.Parse()
	f, size, err := open()
	if err != nil {
		fail(err)
	}
	n := int64(*mib) << 20
	if 2*n > size {
		fail(errors.New("the disk has " + strconv.FormatInt(size>>20, 10) + " MiB; -mib " + strconv.Itoa(*mib) + " needs twice that"))
	}
	buf := make([]byte, 256<<10)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	t := time.Now()
	for off := int64(0); off < n; off += int64(len(buf)) {
		if _, err := f.WriteAt(buf, off); err != nil {
			fail(err)
		}
	}
	if err := f.Sync(); err != nil {
		fail(err)
	}
	w := float64(n) / time.Since(t).Seconds() / 1e6
	t = time.Now()
	for off := size - n; off < size; off += int64(len(buf)) {
		if _, err := f.ReadAt(buf, off); err != nil {
			fail(err)
		}
	}
	r := float64(n) / time.Since(t).Seconds() / 1e6
	small := buf[:4096]
	t = time.Now()
	for i := 0; i < *syncs; i++ {
		if _, err := f.WriteAt(small, n+int64(i)*4096); err != nil {
			fail(err)
		}
		if err := f.Sync(); err != nil {
			fail(err)
		}
	}
	s := float64(*syncs) / time.Since(t).Seconds()
	os.Stdout.WriteString("diskbench: write " + strconv.FormatFloat(w, 'f', 2, 64) + " MB/s, read " + strconv.FormatFloat(r, 'f', 2, 64) +
		" MB/s, " + strconv.FormatFloat(s, 'f', 1, 64) + " fsyncs/s (" + strconv.Itoa(*mib) + " MiB, " + strconv.Itoa(*syncs) + " syncs)\n")
}

// open opens /dev/disk0 and finds its size from the facts the shim sets.
func open() (*os.File, int64, error) {
	ss, err := strconv.Atoi(os.Getenv(abi.EnvDisk0Sector))
	if err != nil || ss < 512 {
		return nil, 0, errors.New("no disk0 facts (" + abi.EnvDisk0Sector + "): build with --disk")
	}
	sectors, err := strconv.ParseInt(os.Getenv(abi.EnvDisk0Sectors), 10, 64)
	if err != nil || sectors <= 0 {
		return nil, 0, errors.New(abi.EnvDisk0Sectors + " is not set")
	}
	f, err := os.OpenFile("/dev/disk0", os.O_RDWR, 0)
	if err != nil {
		return nil, 0, err
	}
	return f, sectors * int64(ss), nil
}

func fail(err error) {
	os.Stderr.WriteString("diskbench: " + err.Error() + "\n")
	os.Exit(1)
}
