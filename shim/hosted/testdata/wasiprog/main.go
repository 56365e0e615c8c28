//go:build wasip1

// wasiprog is the test app of package hosted: its first argument picks what it does.
package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

//go:wasmimport wasi_snapshot_preview1 poll_oneoff
func pollOneoff(in, out unsafe.Pointer, nsubs uint32, nevents unsafe.Pointer) uint32

//go:wasmimport wasi_snapshot_preview1 fd_datasync
func fdDatasync(fd uint32) uint32

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: wasiprog MODE [ARGS]")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "hello":
		fmt.Println("hello, mwasm")
		fmt.Fprintln(os.Stderr, "to stderr")
	case "args":
		fmt.Printf("args=%q\n", os.Args)
		for _, kv := range os.Environ() {
			fmt.Println("env", kv)
		}
	case "exit":
		n, _ := strconv.Atoi(os.Args[2])
		os.Exit(n)
	case "sleep":
		rawSleep(200 * time.Millisecond)
	case "gosleep":
		d := 200 * time.Millisecond
		if len(os.Args) > 2 {
			var err error
			if d, err = time.ParseDuration(os.Args[2]); err != nil {
				fail(err)
			}
		}
		time.Sleep(d)
		fmt.Println("slept")
	case "busyclock": // compute forever, reading the clock (an ABI call) each round
		var n uint64
		for t0 := time.Now(); ; n++ {
			if time.Since(t0) > time.Hour {
				fmt.Println(n)
			}
		}
	case "ls":
		ents, err := os.ReadDir("/dev")
		if err != nil {
			fail(err)
		}
		for _, e := range ents {
			info, err := e.Info()
			if err != nil {
				fail(err)
			}
			fmt.Printf("%s %v %d\n", e.Name(), e.Type(), info.Size())
		}
	case "cat":
		b, err := io.ReadAll(os.Stdin)
		if err != nil {
			fail(err)
		}
		fmt.Print(strings.ToUpper(string(b)))
	case "disk":
		disk()
	case "netecho":
		netecho()
	default:
		fail(errors.New("unknown mode " + os.Args[1]))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "wasiprog:", err)
	os.Exit(1)
}

// rawSleep issues one poll_oneoff with a single relative monotonic clock subscription.
func rawSleep(d time.Duration) {
	var sub [48]byte
	binary.LittleEndian.PutUint64(sub[0:], 0x1234) // userdata
	sub[8] = 0                                     // clock
	binary.LittleEndian.PutUint32(sub[16:], 1)     // monotonic
	binary.LittleEndian.PutUint64(sub[24:], uint64(d))
	var ev [32]byte
	var n uint32
	start := time.Now()
	errno := pollOneoff(unsafe.Pointer(&sub[0]), unsafe.Pointer(&ev[0]), 1, unsafe.Pointer(&n))
	if errno != 0 || n != 1 || binary.LittleEndian.Uint64(ev[0:]) != 0x1234 || ev[10] != 0 {
		fail(fmt.Errorf("poll_oneoff: errno %d, %d events, event %x", errno, n, ev))
	}
	fmt.Printf("slept %d\n", time.Since(start).Milliseconds())
}

func disk() {
	ss, _ := strconv.Atoi(os.Getenv("MWASM_DISK0_SECTOR_SIZE"))
	sectors, _ := strconv.Atoi(os.Getenv("MWASM_DISK0_SECTORS"))
	if ss == 0 || sectors == 0 {
		fail(errors.New("no disk facts in the environment"))
	}
	f, err := os.OpenFile("/dev/disk0", os.O_RDWR, 0)
	if err != nil {
		fail(err)
	}
	st, err := f.Stat()
	if err != nil {
		fail(err)
	}
	if st.Size() != int64(ss*sectors) {
		fail(fmt.Errorf("size %d, want %d", st.Size(), ss*sectors))
	}
	data := bytes.Repeat([]byte("mwasm-disk!"), 2*ss/11+1)[:2*ss]
	if _, err := f.WriteAt(data, int64(3*ss)); err != nil {
		fail(err)
	}
	if errno := fdDatasync(uint32(f.Fd())); errno != 0 {
		fail(fmt.Errorf("fd_datasync: errno %d", errno))
	}
	if err := f.Sync(); err != nil {
		fail(err)
	}
	got := make([]byte, 2*ss)
	if _, err := f.ReadAt(got, int64(3*ss)); err != nil {
		fail(err)
	}
	if !bytes.Equal(got, data) {
		fail(errors.New("read back different data"))
	}
	// Unaligned access is refused with EINVAL.
	_, err = f.WriteAt(data[:10], int64(ss))
	if !errors.Is(err, syscall.EINVAL) {
		fail(fmt.Errorf("unaligned write: got %v, want EINVAL", err))
	}
	// Reading sequentially through the fd position works sector-aligned.
	if _, err := f.Seek(int64(3*ss), io.SeekStart); err != nil {
		fail(err)
	}
	if _, err := io.ReadFull(f, got[:ss]); err != nil || !bytes.Equal(got[:ss], data[:ss]) {
		fail(fmt.Errorf("sequential read: %v", err))
	}
	if err := f.Close(); err != nil {
		fail(err)
	}
	fmt.Println("disk ok")
}

// netecho reads frames from /dev/net0 through Go's poller (the fd is non-blocking, so
// a read parks the goroutine on poll_oneoff) and sends each back reversed, until it
// has echoed os.Args[2] frames.
func netecho() {
	count, _ := strconv.Atoi(os.Args[2])
	fd, err := syscall.Open("/dev/net0", syscall.O_RDWR, 0)
	if err != nil {
		fail(err)
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		fail(err)
	}
	f := os.NewFile(uintptr(fd), "/dev/net0")
	mtu, _ := strconv.Atoi(os.Getenv("MWASM_NET0_MTU"))
	buf := make([]byte, mtu+14)
	for i := 0; i < count; i++ {
		n, err := f.Read(buf)
		if err != nil {
			fail(err)
		}
		frame := buf[:n]
		for a, b := 0, n-1; a < b; a, b = a+1, b-1 {
			frame[a], frame[b] = frame[b], frame[a]
		}
		if _, err := f.Write(frame); err != nil {
			fail(err)
		}
	}
	fmt.Println("echoed", count)
}
