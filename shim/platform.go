package shim

// Clock identifies a WASI clock (the values are the WASI clockid numbering).
type Clock uint32

const (
	ClockRealtime  Clock = 0 // wall clock, ns since 1970-01-01 UTC
	ClockMonotonic Clock = 1 // ns since an arbitrary start, never goes back
)

// NoDeadline is the Wait deadline meaning "until woken".
const NoDeadline = ^uint64(0)

// Platform is what the WASI layer needs from the machine it runs on. The hosted build
// implements it over the host OS (shim/hosted); the Xen build over Xen's PV devices.
// All methods are called from the app's single thread of execution.
type Platform interface {
	// Console writes p to the console stream of fd 1 (stdout) or fd 2 (stderr).
	Console(fd int, p []byte) error
	// Stdin returns the app's standard input, or nil if it has none (fd 0 is then
	// always at end of file).
	Stdin() Stdin
	// Now returns the current time of clock c in nanoseconds (ClockRealtime or
	// ClockMonotonic; the WASI layer asks for no other clock).
	Now(c Clock) uint64
	// Resolution returns the resolution of clock c in nanoseconds (at least 1).
	Resolution(c Clock) uint64
	// Random fills p with entropy, or returns an error if the platform has none.
	Random(p []byte) error
	// Wait blocks until a device calls its wake function (see NetDevice.SetWake, and
	// Stdin) or the monotonic clock reaches deadline (NoDeadline: no deadline). It
	// must not spin: an idle app costs no CPU. It may return early (spuriously); the
	// caller re-checks. A platform may abort the run from Wait (hosted: the context
	// was cancelled) by unwinding, in which case Wait does not return.
	Wait(deadline uint64)
	// Exit ends the app with status code. It does not return.
	Exit(code uint32)
}

// StdioTyper is implemented by a Platform whose standard streams are host files of
// their own type. StdioType returns the WASI filetype of the host's fd (0, 1 or 2),
// as fd_fdstat_get and fd_filestat_get report it: CHARACTER_DEVICE for a terminal
// (or /dev/null), REGULAR_FILE for a file, UNKNOWN for a pipe, SOCKET_STREAM for a
// socket. It matters: wasi-libc line-buffers stdout only on a character device (its
// isatty), so a C program writing to a file or pipe makes one fd_write per buffer,
// not per line. A platform without it (the Xen console) reports CHARACTER_DEVICE.
// It is asked once, when the app starts.
type StdioTyper interface {
	StdioType(fd int) uint8
}

// Stdin is a non-blocking standard input.
type Stdin interface {
	// Read copies available bytes into p. It returns ErrAgain when no byte is
	// available yet and io.EOF when the input has ended and everything was read.
	Read(p []byte) (int, error)
	// Poll reports how many bytes Read would return now and whether the input has
	// ended. When either changes from "nothing" the platform's Wait is woken.
	Poll() (n int, eof bool)
}
