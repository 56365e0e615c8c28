package shim

import "github.com/mwasm/mwasm/abi"

// WASI eventtype values and flags.
const (
	eventClock   = 0
	eventFdRead  = 1
	eventFdWrite = 2

	subclockAbstime = 1 << 0
	eventHangup     = 1 << 0
)

// subscription is one decoded poll_oneoff subscription.
type subscription struct {
	userdata uint64
	typ      uint8
	fd       uint32
	deadline uint64    // clock: monotonic ns
	errno    abi.Errno // reported at once (bad clock id)
}

// maxSubscriptions bounds nsubscriptions.
const maxSubscriptions = 4096

// PollOneoff is poll_oneoff(in, out, nsubscriptions, nevents_ptr).
//
// Clock subscriptions (realtime or monotonic, relative or absolute) become deadlines
// on the monotonic clock when the call starts. FD_READ/FD_WRITE subscriptions are
// ready when the fd would not block: net0 by asking the device, disk0 always,
// stdout/stderr for writing always, stdin for reading when it has data or has ended
// (the event then carries the hangup flag). A subscription on an unknown fd, or of the
// wrong direction on stdio, is an event with error EBADF. All ready events are
// returned together; if none is ready the call sleeps in Platform.Wait until a device
// wakes it or the earliest deadline passes, and looks again.
func (w *WASI) PollOneoff(in, out, nsubs, neventsPtr uint32) abi.Errno {
	if nsubs == 0 || nsubs > maxSubscriptions {
		return abi.EINVAL
	}
	raw := w.scratch(int(nsubs) * 48)
	if !w.mem.Read(in, raw) {
		return abi.EFAULT
	}
	monoStart := w.p.Now(ClockMonotonic)
	w.subs = w.subs[:0]
	earliest := NoDeadline
	for i := uint32(0); i < nsubs; i++ {
		r := raw[i*48 : (i+1)*48]
		s := subscription{userdata: le64(r[0:]), typ: r[8]}
		switch s.typ {
		case eventClock:
			s.deadline, s.errno = w.deadline(monoStart, le32(r[16:]), le64(r[24:]), le16(r[40:]))
			if s.errno == abi.ESUCCESS && s.deadline < earliest {
				earliest = s.deadline
			}
		case eventFdRead, eventFdWrite:
			s.fd = le32(r[16:])
		default:
			return abi.EINVAL
		}
		w.subs = append(w.subs, s)
	}
	for {
		now := w.p.Now(ClockMonotonic)
		n := uint32(0)
		for i := range w.subs {
			s := &w.subs[i]
			ev := w.tmp[:32]
			clear(ev)
			put64(ev[0:], s.userdata)
			ev[10] = s.typ
			ready := false
			if s.typ == eventClock {
				ready = s.errno != abi.ESUCCESS || now >= s.deadline
				put16(ev[8:], uint16(s.errno))
			} else {
				var errno abi.Errno
				var nbytes uint64
				var flags uint16
				ready, errno, nbytes, flags = w.fdReady(s.fd, s.typ)
				put16(ev[8:], uint16(errno))
				put64(ev[16:], nbytes)
				put16(ev[24:], flags)
			}
			if !ready {
				continue
			}
			if !w.mem.Write(out+n*32, ev) {
				return abi.EFAULT
			}
			n++
		}
		if n > 0 {
			if !w.writeU32(neventsPtr, n) {
				return abi.EFAULT
			}
			return abi.ESUCCESS
		}
		w.p.Wait(earliest)
	}
}

// deadline turns a clock subscription into a monotonic deadline.
func (w *WASI) deadline(monoNow uint64, id uint32, timeout uint64, flags uint16) (uint64, abi.Errno) {
	if !validClock(id) {
		return 0, abi.EINVAL
	}
	if flags&subclockAbstime == 0 {
		return addSat(monoNow, timeout), abi.ESUCCESS
	}
	if Clock(id) == ClockMonotonic {
		return timeout, abi.ESUCCESS
	}
	// The realtime clock first, the monotonic one after it: time that passes
	// between the two readings (a preempted vCPU) makes the wait longer, never
	// shorter than the deadline.
	real := w.p.Now(ClockRealtime)
	if timeout <= real {
		return monoNow, abi.ESUCCESS
	}
	return addSat(max(monoNow, w.p.Now(ClockMonotonic)), timeout-real), abi.ESUCCESS
}

func addSat(a, b uint64) uint64 {
	if a+b < a {
		return NoDeadline - 1
	}
	return a + b
}

// fdReady reports whether an FD_READ or FD_WRITE subscription on fd is ready.
func (w *WASI) fdReady(fd uint32, typ uint8) (ready bool, errno abi.Errno, nbytes uint64, flags uint16) {
	f := w.file(fd)
	if f == nil {
		return true, abi.EBADF, 0, 0
	}
	read := typ == eventFdRead
	switch f.kind {
	case kindNet, kindNetV:
		n := uint64(len(w.frame))
		if f.kind == kindNetV {
			n = abi.VnetHdrLen + abi.VnetMaxFrame
		}
		if read {
			return w.net.Readable(), 0, n, 0
		}
		return w.net.Writable(), 0, n, 0
	case kindDisk:
		return true, 0, w.diskSize() - min(f.pos, w.diskSize()), 0
	case kindStdin:
		if !read {
			return true, abi.EBADF, 0, 0
		}
		in := w.p.Stdin()
		if in == nil {
			return true, 0, 0, eventHangup
		}
		n, eof := in.Poll()
		if n > 0 {
			return true, 0, uint64(n), 0
		}
		if eof {
			return true, 0, 0, eventHangup
		}
		return false, 0, 0, 0
	case kindStdout, kindStderr:
		if read {
			return true, abi.EBADF, 0, 0
		}
		return true, 0, 0, 0
	case kindTreeFile:
		if read {
			if st, e := f.fh.Stat(); e == abi.ESUCCESS && st.Size > f.pos {
				return true, 0, st.Size - f.pos, 0
			}
		}
		return true, 0, 0, 0
	}
	return true, 0, 0, 0 // a directory: like Linux, never "would block"
}
