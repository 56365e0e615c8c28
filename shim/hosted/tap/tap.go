// Package tap connects the app's network device to a Linux TAP interface, for
// `mwasm run --net tap,ifname=tap0,...`. The app then sits on a real Ethernet
// segment with the host (and whatever the host bridges or routes to it).
//
// Open attaches to the interface through /dev/net/tun with IFF_TAP|IFF_NO_PI, so
// every read and write is one whole Ethernet frame. The file descriptor is
// non-blocking and registered with Go's poller: one goroutine reads frames into a
// bounded FIFO (Options.QueueLen, 256 by default; when full the newest frame is
// dropped) and calls the wake function for each. SendFrame writes directly with a
// non-blocking write; if the kernel ever answers EAGAIN, SendFrame returns
// shim.ErrAgain and a short-lived goroutine polls the descriptor for POLLOUT and
// wakes the platform when it becomes writable.
//
// The interface must exist and be up, and the user must be allowed to attach to it.
// Root can attach to (and create) any TAP interface; other users need one created
// for them, once, by root:
//
//	ip tuntap add dev tap0 mode tap user $USER && ip link set tap0 up
//
// Addresses are the user's business: the ip= and gw= spec options only tell the
// app what to use (as abi.EnvNet0IPv4 and abi.EnvNet0Gateway); give the host side
// an address in the same subnet (ip addr add 192.168.77.1/24 dev tap0).
package tap

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"

	"github.com/mwasm/mwasm/shim"
)

// TunPath is the clone device used to attach to TAP interfaces.
const TunPath = "/dev/net/tun"

// DefaultMAC is the app's MAC unless Options.MAC says otherwise (QEMU's default).
var DefaultMAC = [6]byte{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}

// DefaultQueueLen is the number of received frames kept for the app.
const DefaultQueueLen = 256

// ErrClosed is returned by SendFrame and RecvFrame after Close.
var ErrClosed = errors.New("tap: device closed")

// Options describe the TAP device of a run.
type Options struct {
	IfName   string       // the TAP interface, e.g. "tap0"
	IPv4     netip.Prefix // the app's address; invalid: none given
	Gateway  netip.Addr   // the app's default gateway; invalid: none given
	MAC      [6]byte      // the app's MAC; zero: DefaultMAC
	QueueLen int          // zero: DefaultQueueLen
}

const specForm = "tap,ifname=NAME[,ip=ADDR/BITS][,gw=ADDR][,mac=52:54:00:12:34:56]"

// ParseSpec parses the value of the --net flag for a TAP device:
//
//	tap,ifname=tap0[,ip=192.168.77.2/24][,gw=192.168.77.1][,mac=52:54:00:12:34:56]
func ParseSpec(s string) (Options, error) {
	var o Options
	parts := strings.Split(s, ",")
	if parts[0] != "tap" {
		return o, fmt.Errorf("tap: spec %q must start with \"tap\" (want %s)", s, specForm)
	}
	for _, p := range parts[1:] {
		key, val, ok := strings.Cut(p, "=")
		if !ok {
			return o, fmt.Errorf("tap: option %q is not key=value (want %s)", p, specForm)
		}
		switch key {
		case "ifname":
			if err := checkIfName(val); err != nil {
				return o, err
			}
			o.IfName = val
		case "ip":
			pfx, err := netip.ParsePrefix(val)
			if err != nil || !pfx.Addr().Is4() || pfx.Bits() < 1 || pfx.Bits() > 30 {
				return o, fmt.Errorf("tap: bad ip %q (want an IPv4 address with prefix length, e.g. 192.168.77.2/24)", val)
			}
			o.IPv4 = pfx
		case "gw":
			a, err := netip.ParseAddr(val)
			if err != nil || !a.Is4() {
				return o, fmt.Errorf("tap: bad gw %q (want an IPv4 address, e.g. 192.168.77.1)", val)
			}
			o.Gateway = a
		case "mac":
			hw, err := net.ParseMAC(val)
			if err != nil || len(hw) != 6 {
				return o, fmt.Errorf("tap: bad mac %q (want six hex bytes like 52:54:00:12:34:56)", val)
			}
			if hw[0]&1 != 0 {
				return o, fmt.Errorf("tap: mac %q is a multicast address (the low bit of the first byte must be 0)", val)
			}
			copy(o.MAC[:], hw)
		default:
			return o, fmt.Errorf("tap: unknown option %q (want %s)", key, specForm)
		}
	}
	if o.IfName == "" {
		return o, fmt.Errorf("tap: spec %q names no interface (want %s)", s, specForm)
	}
	if o.Gateway.IsValid() && o.IPv4.IsValid() && !o.IPv4.Masked().Contains(o.Gateway) {
		return o, fmt.Errorf("tap: gw %s is outside ip %s; pick a gateway in the app's subnet", o.Gateway, o.IPv4)
	}
	if o.Gateway.IsValid() && !o.IPv4.IsValid() {
		return o, fmt.Errorf("tap: gw=%s given without ip=; give the app an address too (want %s)", o.Gateway, specForm)
	}
	return o, nil
}

func checkIfName(n string) error {
	if n == "" || len(n) >= unix.IFNAMSIZ || strings.ContainsAny(n, "/ \t\n:") || n == "." || n == ".." {
		return fmt.Errorf("tap: bad interface name %q (want 1 to %d characters, no '/', ':' or spaces)", n, unix.IFNAMSIZ-1)
	}
	return nil
}

// Device is an app network device backed by a TAP interface. It implements shim.NetDevice.
type Device struct {
	name string
	mac  [6]byte
	mtu  int
	log  hclog.Logger
	file *os.File
	rc   syscall.RawConn
	wake atomic.Pointer[func()]

	mu        sync.Mutex
	q         [][]byte
	head, n   int
	dropped   uint64
	closed    bool
	blocked   bool // a write got EAGAIN; a watcher waits for POLLOUT
	readErr   error
	wg        sync.WaitGroup
	closeOnce sync.Once
}

var _ shim.NetDevice = (*Device)(nil)

// Open attaches to the TAP interface name with the default MAC for the app.
func Open(name string, log hclog.Logger) (*Device, error) {
	return OpenOptions(Options{IfName: name}, log)
}

// OpenOptions attaches to opts.IfName. The interface must already exist unless the
// caller is root (then the kernel creates a non-persistent one that disappears on Close).
func OpenOptions(opts Options, log hclog.Logger) (*Device, error) {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	name := opts.IfName
	if err := checkIfName(name); err != nil {
		return nil, err
	}
	if opts.MAC == ([6]byte{}) {
		opts.MAC = DefaultMAC
	}
	if opts.QueueLen <= 0 {
		opts.QueueLen = DefaultQueueLen
	}
	fd, err := unix.Open(TunPath, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		switch {
		case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENODEV), errors.Is(err, unix.ENXIO):
			return nil, fmt.Errorf("tap: %s is missing (%v): load the tun module (modprobe tun), or in a container pass --device %s", TunPath, err, TunPath)
		case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
			return nil, fmt.Errorf("tap: cannot open %s: %v; make it accessible (it is normally mode 0666) or run as root", TunPath, err)
		}
		return nil, fmt.Errorf("tap: open %s: %v", TunPath, err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("tap: bad interface name %q: %v", name, err)
	}
	ifr.SetUint16(unix.IFF_TAP | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		fix := fmt.Sprintf("ip tuntap add dev %s mode tap user $USER && ip link set %s up", name, name)
		switch {
		case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
			return nil, fmt.Errorf("tap: cannot attach to %s: %v; as root, create it for your user first: %s", name, err, fix)
		case errors.Is(err, unix.EBUSY):
			return nil, fmt.Errorf("tap: cannot attach to %s: it is in use by another process (one process per TAP interface)", name)
		case errors.Is(err, unix.EINVAL):
			return nil, fmt.Errorf("tap: cannot attach to %s: %v; it exists but is not a TAP interface (ip -d link show %s)", name, err, name)
		}
		return nil, fmt.Errorf("tap: cannot attach to %s: %v (to create it: %s)", name, err, fix)
	}
	d := &Device{
		name: name,
		mac:  opts.MAC,
		mtu:  1500,
		log:  log,
		q:    make([][]byte, opts.QueueLen),
	}
	if ifi, err := net.InterfaceByName(name); err == nil {
		if ifi.MTU > 0 {
			d.mtu = ifi.MTU
		}
		if ifi.Flags&net.FlagUp == 0 {
			log.Warn("TAP interface is down; frames will not flow until it is up", "ifname", name, "fix", "ip link set "+name+" up")
		}
	}
	d.file = os.NewFile(uintptr(fd), TunPath+":"+name)
	d.rc, err = d.file.SyscallConn()
	if err != nil {
		d.file.Close()
		return nil, fmt.Errorf("tap: %s: %v", name, err)
	}
	d.wg.Add(1)
	go d.reader()
	return d, nil
}

// Name returns the interface name.
func (d *Device) Name() string { return d.name }

// Dropped returns how many received frames were dropped because the queue was full.
func (d *Device) Dropped() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dropped
}

func (d *Device) reader() {
	defer d.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, err := d.file.Read(buf)
		if err != nil {
			d.mu.Lock()
			closed := d.closed
			if !closed {
				d.readErr = err
			}
			d.mu.Unlock()
			if !closed {
				d.log.Error("TAP read failed; the device receives nothing more", "ifname", d.name, "error", err)
			}
			d.doWake()
			return
		}
		if n == 0 {
			continue
		}
		frame := append([]byte(nil), buf[:n]...)
		d.mu.Lock()
		if d.n == len(d.q) {
			d.dropped++
			d.mu.Unlock()
			continue
		}
		d.q[(d.head+d.n)%len(d.q)] = frame
		d.n++
		d.mu.Unlock()
		d.doWake()
	}
}

func (d *Device) doWake() {
	if w := d.wake.Load(); w != nil {
		(*w)()
	}
}

// SetWake implements shim.NetDevice.
func (d *Device) SetWake(wake func()) {
	d.wake.Store(&wake)
	if d.Readable() {
		wake()
	}
}

// MAC implements shim.NetDevice: the app's MAC (not the host side's).
func (d *Device) MAC() [6]byte { return d.mac }

// MTU implements shim.NetDevice: the interface's MTU when attached.
func (d *Device) MTU() int { return d.mtu }

// RecvFrame implements shim.NetDevice.
func (d *Device) RecvFrame(buf []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return 0, ErrClosed
	}
	if d.n == 0 {
		if d.readErr != nil {
			return 0, fmt.Errorf("tap: %s: %w", d.name, d.readErr)
		}
		return 0, shim.ErrAgain
	}
	f := d.q[d.head]
	d.q[d.head] = nil
	d.head = (d.head + 1) % len(d.q)
	d.n--
	return copy(buf, f), nil
}

// SendFrame implements shim.NetDevice.
func (d *Device) SendFrame(frame []byte) error {
	d.mu.Lock()
	closed, blocked := d.closed, d.blocked
	d.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if blocked {
		return shim.ErrAgain
	}
	if len(frame) < 14 || len(frame) > d.mtu+14 {
		return fmt.Errorf("tap: frame of %d bytes (want 14 to %d)", len(frame), d.mtu+14)
	}
	var werr error
	if err := d.rc.Write(func(fd uintptr) bool {
		_, werr = unix.Write(int(fd), frame)
		return true
	}); err != nil {
		return fmt.Errorf("tap: %s: %v", d.name, err)
	}
	switch {
	case werr == nil:
		return nil
	case errors.Is(werr, unix.EAGAIN):
		d.mu.Lock()
		if d.blocked || d.closed {
			d.mu.Unlock()
			return shim.ErrAgain
		}
		d.blocked = true
		d.wg.Add(1)
		d.mu.Unlock()
		go d.watchWritable()
		return shim.ErrAgain
	case errors.Is(werr, unix.EIO):
		return fmt.Errorf("tap: %s is down (%v); run: ip link set %s up", d.name, werr, d.name)
	}
	return fmt.Errorf("tap: write to %s: %v", d.name, werr)
}

// watchWritable polls for POLLOUT after an EAGAIN, then clears blocked and wakes.
func (d *Device) watchWritable() {
	defer d.wg.Done()
	for {
		ready := false
		err := d.rc.Control(func(fd uintptr) {
			fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
			n, _ := unix.Poll(fds, 100)
			ready = n > 0
		})
		d.mu.Lock()
		done := ready || err != nil || d.closed
		if done {
			d.blocked = false
		}
		d.mu.Unlock()
		if done {
			d.doWake()
			return
		}
	}
}

// Readable implements shim.NetDevice. It is also true once a read error is pending,
// so that the app sees the error.
func (d *Device) Readable() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return !d.closed && (d.n > 0 || d.readErr != nil)
}

// Writable implements shim.NetDevice.
func (d *Device) Writable() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return !d.closed && !d.blocked
}

// Close detaches from the interface (which stays if it is persistent) and stops
// the reader.
func (d *Device) Close() error {
	var err error
	d.closeOnce.Do(func() {
		d.mu.Lock()
		d.closed = true
		d.mu.Unlock()
		err = d.file.Close()
		d.wg.Wait()
	})
	return err
}
