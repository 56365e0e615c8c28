//go:build wasip1

package main

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/mwasm/mwasm/abi"
)

const second = 1_000_000_000

// parseMAC parses "52:54:00:12:34:56".
func parseMAC(s string) ([6]byte, bool) {
	var mac [6]byte
	parts := strings.Split(s, ":")
	if len(parts) != 6 {
		return mac, false
	}
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 16, 8)
		if err != nil || len(p) != 2 {
			return mac, false
		}
		mac[i] = byte(v)
	}
	return mac, true
}

// arpRequest builds a broadcast ARP request "who has target? tell ip", padded to the
// 60-byte Ethernet minimum (the shim sends frames as given).
func arpRequest(mac [6]byte, ip, target [4]byte) []byte {
	f := alloc(60)
	for i := 0; i < 6; i++ {
		f[i] = 0xff
	}
	copy(f[6:12], mac[:])
	binary.BigEndian.PutUint16(f[12:], 0x0806) // ARP
	binary.BigEndian.PutUint16(f[14:], 1)      // hardware: Ethernet
	binary.BigEndian.PutUint16(f[16:], 0x0800) // protocol: IPv4
	f[18], f[19] = 6, 4
	binary.BigEndian.PutUint16(f[20:], 1) // request
	copy(f[22:28], mac[:])
	copy(f[28:32], ip[:])
	copy(f[38:42], target[:])
	return f
}

// isARPReply reports whether frame is an ARP reply from sender to us.
func isARPReply(frame []byte, mac [6]byte, ip, sender [4]byte) bool {
	return len(frame) >= 42 &&
		binary.BigEndian.Uint16(frame[12:]) == 0x0806 &&
		binary.BigEndian.Uint16(frame[20:]) == 2 &&
		string(frame[28:32]) == string(sender[:]) &&
		string(frame[32:38]) == string(mac[:]) &&
		string(frame[38:42]) == string(ip[:])
}

// dishonest counts FD_READ events after which fd_read found no frame.
var dishonest int

// sendFrame writes one frame, waiting with poll_oneoff FD_WRITE while the transmit
// queue is full (at most 2 s).
func sendFrame(fd uint32, parts ...[]byte) string {
	total := 0
	for _, p := range parts {
		total += len(p)
	}
	deadline := monotonic() + 2*second
	for {
		n, e := writeFD(fd, parts...)
		if e == abi.ESUCCESS {
			if n != uint32(total) {
				return fmt.Sprintf("fd_write wrote %d of %d bytes", n, total)
			}
			return ""
		}
		if e != abi.EAGAIN {
			return fmt.Sprintf("fd_write: errno %d", e)
		}
		now := monotonic()
		if now >= deadline {
			return "fd_write: still EAGAIN after 2 s"
		}
		if _, e := poll(fdSub(1, abi.EventtypeFdWrite, fd), clockSub(2, deadline-now)); e != abi.ESUCCESS {
			return fmt.Sprintf("poll_oneoff FD_WRITE: errno %d", e)
		}
	}
}

// awaitFrame waits up to timeout for a frame that match accepts, reading each frame
// into a buffer of bufSize bytes. It returns the frame or a description of what went
// wrong.
func awaitFrame(fd uint32, bufSize int, timeout uint64, match func([]byte) bool) ([]byte, string) {
	deadline := monotonic() + timeout
	seen := 0
	for {
		now := monotonic()
		if now >= deadline {
			return nil, fmt.Sprintf("no matching frame within %d ms (%d other frames seen)", timeout/1_000_000, seen)
		}
		evs, e := poll(fdSub(1, abi.EventtypeFdRead, fd), clockSub(2, deadline-now))
		if e != abi.ESUCCESS {
			return nil, fmt.Sprintf("poll_oneoff: errno %d", e)
		}
		readable := false
		for _, ev := range evs {
			if ev.userdata == 1 {
				if ev.errno != abi.ESUCCESS || ev.typ != abi.EventtypeFdRead {
					return nil, fmt.Sprintf("FD_READ event %+v", ev)
				}
				readable = true
			}
		}
		if !readable {
			continue
		}
		got := 0
		for {
			buf := alloc(bufSize)
			n, e := readFD(fd, buf)
			if e == abi.EAGAIN {
				break
			}
			if e != abi.ESUCCESS {
				return nil, fmt.Sprintf("fd_read: errno %d", e)
			}
			got++
			if match(buf[:n]) {
				return buf[:n], ""
			}
			seen++
		}
		if got == 0 {
			dishonest++
		}
	}
}

// checkNet exercises /dev/net0 when the environment announces it.
func checkNet(env map[string]string) {
	if _, ok := env[abi.EnvNet0MAC]; !ok {
		say("skip net0: " + abi.EnvNet0MAC + " is not set")
		return
	}
	mac, ok := parseMAC(env[abi.EnvNet0MAC])
	if !ok {
		fail("environ "+abi.EnvNet0MAC, "%q is not a MAC address like 52:54:00:12:34:56", env[abi.EnvNet0MAC])
		return
	}
	mtu, ok := envInt(env, abi.EnvNet0MTU)
	if !ok {
		return
	}
	prefix, err := netip.ParsePrefix(env[abi.EnvNet0IPv4])
	if err != nil || !prefix.Addr().Is4() {
		fail("environ "+abi.EnvNet0IPv4, "%q is not an IPv4 CIDR like 10.0.2.15/24", env[abi.EnvNet0IPv4])
		return
	}
	ip := prefix.Addr().As4()
	pass("environ net0 values")

	fd, e := openAt(abi.PreopenFD, abi.NetDev, 0, abi.RightsNet, 0)
	if e != abi.ESUCCESS {
		fail("path_open net0", "errno %d", e)
		return
	}
	pass("path_open net0")
	defer func() { check("fd_close net0", want(abi.Errno(fd_close(fd)), abi.ESUCCESS)) }()

	st, e := fdstatOf(fd)
	if e != abi.ESUCCESS || st.filetype != abi.FiletypeCharacterDevice || st.flags&abi.FdflagNonblock == 0 {
		fail("fd_fdstat_get net0", "errno %d, filetype %d, flags 0x%x; want CHARACTER_DEVICE with NONBLOCK", e, st.filetype, st.flags)
	} else {
		pass("fd_fdstat_get net0")
	}
	fs, e := filestatOf(fd)
	if e != abi.ESUCCESS || fs.filetype != abi.FiletypeCharacterDevice {
		fail("fd_filestat_get net0", "errno %d, filetype %d", e, fs.filetype)
	} else {
		pass("fd_filestat_get net0")
	}
	_, e = seekFD(fd, 0, abi.WhenceSet)
	check("fd_seek net0 ESPIPE", want(e, abi.ESPIPE))
	_, e = preadFD(fd, 0, alloc(64))
	check("fd_pread net0 ESPIPE", want(e, abi.ESPIPE))
	check("fd_sync net0 EINVAL", want(abi.Errno(fd_sync(fd)), abi.EINVAL))

	// Clearing NONBLOCK is accepted but the device stays non-blocking.
	e = abi.Errno(fd_fdstat_set_flags(fd, 0))
	st, e2 := fdstatOf(fd)
	if e != abi.ESUCCESS || e2 != abi.ESUCCESS || st.flags&abi.FdflagNonblock == 0 {
		fail("fd_fdstat_set_flags net0 0", "errno %d/%d, flags afterwards 0x%x, want NONBLOCK still set", e, e2, st.flags)
	} else {
		pass("fd_fdstat_set_flags net0 0")
	}
	check("fd_fdstat_set_flags net0 NONBLOCK", want(abi.Errno(fd_fdstat_set_flags(fd, abi.FdflagNonblock)), abi.ESUCCESS))

	// Nothing has been sent, so the receive queue drains to EAGAIN quickly.
	drained := false
	for i := 0; i < 64 && !drained; i++ {
		_, e = readFD(fd, alloc(int(mtu)+14))
		if e == abi.EAGAIN {
			drained = true
		} else if e != abi.ESUCCESS {
			break
		}
	}
	if drained {
		pass("fd_read net0 idle EAGAIN")
	} else {
		fail("fd_read net0 idle EAGAIN", "last errno %d after up to 64 reads", e)
	}

	// Idle: FD_READ is reported only with a frame to read; else the clock fires.
	start := monotonic()
	evs, e := poll(fdSub(1, abi.EventtypeFdRead, fd), clockSub(2, 50_000_000))
	elapsed := monotonic() - start
	switch {
	case e != abi.ESUCCESS:
		fail("poll_oneoff net0 idle", "errno %d", e)
	case len(evs) == 1 && evs[0].userdata == 2:
		if elapsed < 50_000_000 {
			fail("poll_oneoff net0 idle", "clock fired after %d ns", elapsed)
		} else {
			pass("poll_oneoff net0 idle")
		}
	default:
		if _, e := readFD(fd, alloc(int(mtu)+14)); e != abi.ESUCCESS {
			fail("poll_oneoff net0 idle", "FD_READ reported (events %+v) but fd_read: errno %d", evs, e)
		} else {
			pass("poll_oneoff net0 idle") // a frame did arrive: still honest
		}
	}

	evs, e = poll(fdSub(1, abi.EventtypeFdWrite, fd), clockSub(2, second))
	if e != abi.ESUCCESS || len(evs) != 1 || evs[0].userdata != 1 || evs[0].errno != 0 || evs[0].typ != abi.EventtypeFdWrite {
		fail("poll_oneoff net0 FD_WRITE", "errno %d, events %+v, want FD_WRITE ready", e, evs)
	} else {
		pass("poll_oneoff net0 FD_WRITE")
	}

	// Frame sizes: at most MTU+14 bytes, at least the 14-byte header. The test
	// frames go to our own MAC with the IEEE local experimental EtherType.
	frame := func(n int) []byte {
		f := alloc(n)
		if n >= 14 {
			copy(f[0:6], mac[:])
			copy(f[6:12], mac[:])
			f[12], f[13] = 0x88, 0xb5
		}
		return f
	}
	_, e = writeFD(fd, frame(int(mtu)+15))
	check("fd_write net0 oversize EMSGSIZE", want(e, abi.EMSGSIZE))
	_, e = writeFD(fd, frame(10))
	check("fd_write net0 runt EINVAL", want(e, abi.EINVAL))
	check("fd_write net0 MTU+14 bytes", sendFrame(fd, frame(int(mtu)+14)))

	gwText, hasGW := env[abi.EnvNet0Gateway]
	if !hasGW {
		say("skip net0 ARP: " + abi.EnvNet0Gateway + " is not set")
		return
	}
	gwAddr, err := netip.ParseAddr(gwText)
	if err != nil || !gwAddr.Is4() {
		fail("environ "+abi.EnvNet0Gateway, "%q is not an IPv4 address", gwText)
		return
	}
	gw := gwAddr.As4()

	if d := sendFrame(fd, arpRequest(mac, ip, gw)); d != "" {
		fail("net0 ARP request", "%s", d)
		return
	}
	pass("net0 ARP request")
	reply, d := awaitFrame(fd, int(mtu)+14, 2*second, func(f []byte) bool { return isARPReply(f, mac, ip, gw) })
	if d != "" {
		fail("net0 ARP reply", "%s (gateway %s, us %s %s)", d, gwText, env[abi.EnvNet0MAC], prefix.Addr())
	} else if string(reply[0:6]) != string(mac[:]) {
		fail("net0 ARP reply", "sent to % x, not to our MAC", reply[0:6])
	} else {
		pass("net0 ARP reply")
	}

	// Again, with the request gathered from two iovecs and the reply truncated to a
	// 22-byte buffer (Ethernet header and ARP up to the opcode).
	req := arpRequest(mac, ip, gw)
	if d := sendFrame(fd, req[:14], req[14:]); d != "" {
		fail("net0 two-iovec frame", "%s", d)
	} else {
		got, d := awaitFrame(fd, 22, 2*second, func(f []byte) bool {
			return len(f) >= 22 && binary.BigEndian.Uint16(f[12:]) == 0x0806 && binary.BigEndian.Uint16(f[20:]) == 2
		})
		switch {
		case d != "":
			fail("net0 two-iovec frame", "no ARP reply to a request written as two iovecs: %s", d)
		case len(got) != 22:
			fail("net0 truncation", "read %d bytes into a 22-byte buffer", len(got))
		default:
			pass("net0 two-iovec frame")
			pass("net0 truncation")
		}
	}
	if dishonest > 0 {
		fail("poll_oneoff net0 FD_READ honest", "%d FD_READ events had no frame behind them", dishonest)
	} else {
		pass("poll_oneoff net0 FD_READ honest")
	}
}

// checkNetVnet checks /dev/net0v, where MWASM_NET0_VNET says it exists: a
// non-blocking character device whose writes carry a virtio-net header, the
// malformed ones refused.
func checkNetVnet(env map[string]string) {
	if env[abi.EnvNet0Vnet] != "1" {
		say("net0v is not checked: " + abi.EnvNet0Vnet + " is not set (the platform has no offloads)")
		return
	}
	fd, e := openAt(abi.PreopenFD, abi.NetVnetDev, 0, abi.RightsNet, 0)
	if e != abi.ESUCCESS {
		fail("path_open net0v", "errno %d", e)
		return
	}
	pass("path_open net0v")
	defer func() { check("fd_close net0v", want(abi.Errno(fd_close(fd)), abi.ESUCCESS)) }()
	st, e := fdstatOf(fd)
	if e != abi.ESUCCESS || st.filetype != abi.FiletypeCharacterDevice || st.flags&abi.FdflagNonblock == 0 {
		fail("fd_fdstat_get net0v", "errno %d, filetype %d, flags 0x%x; want CHARACTER_DEVICE with NONBLOCK", e, st.filetype, st.flags)
	} else {
		pass("fd_fdstat_get net0v")
	}
	frame := alloc(60)
	for i := 0; i < 6; i++ {
		frame[i] = 0xff // broadcast, so a frame that did go out harms nobody
	}
	frame[12], frame[13] = 0x88, 0xb5 // the local experimental EtherType
	hdr := func(b ...byte) []byte { h := alloc(abi.VnetHdrLen); copy(h, b); return h }
	_, e = writeFD(fd, hdr(), frame[:13])
	check("fd_write net0v runt EINVAL", want(e, abi.EINVAL))
	_, e = writeFD(fd, hdr(0x80), frame)
	check("fd_write net0v unknown flags EINVAL", want(e, abi.EINVAL))
	_, e = writeFD(fd, hdr(0, 9), frame)
	check("fd_write net0v unknown GSO type EINVAL", want(e, abi.EINVAL))
	_, e = writeFD(fd, hdr(0, abi.VnetGSOTCPv4, 0, 0, 0x10), frame)
	check("fd_write net0v GSO on a non-TCP frame EINVAL", want(e, abi.EINVAL))
	n, e := writeFD(fd, hdr(), frame)
	if e != abi.ESUCCESS || n != abi.VnetHdrLen+60 {
		fail("fd_write net0v", "errno %d, %d bytes written, want %d", e, n, abi.VnetHdrLen+60)
	} else {
		pass("fd_write net0v")
	}
}
