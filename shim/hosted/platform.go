package hosted

import (
	"context"
	"crypto/rand"
	"io"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tetratelabs/wazero/sys"
	"golang.org/x/sys/unix"

	"github.com/mwasm/mwasm/shim"
)

// platform is shim.Platform over the host OS.
type platform struct {
	ctx    context.Context
	stdout io.Writer
	stderr io.Writer
	stdin  *stdinPipe // nil: no stdin
	types  [3]uint8   // WASI filetypes of the three streams (StdioType)
	start  time.Time  // origin of the monotonic clock
	wake   chan struct{}
	timer  *time.Timer

	// stopped is set once ctx is done; host functions then unwind the app.
	stopped atomic.Bool
	unwatch func() bool // stops watching ctx (call when the run ends)
}

func newPlatform(ctx context.Context, cfg *Config) *platform {
	p := &platform{
		ctx:    ctx,
		stdout: cfg.Stdout,
		stderr: cfg.Stderr,
		start:  time.Now(),
		wake:   make(chan struct{}, 1),
	}
	for fd, s := range []any{cfg.Stdin, cfg.Stdout, cfg.Stderr} {
		p.types[fd] = streamType(s)
	}
	p.unwatch = context.AfterFunc(ctx, func() {
		p.stopped.Store(true)
		p.Wake()
	})
	if p.stdout == nil {
		p.stdout = io.Discard
	}
	if p.stderr == nil {
		p.stderr = io.Discard
	}
	if cfg.Stdin != nil {
		p.stdin = &stdinPipe{r: cfg.Stdin, wake: p.Wake}
		p.stdin.cond = sync.NewCond(&p.stdin.mu)
	}
	return p
}

// Wake makes a pending or the next Wait return. It never blocks.
func (p *platform) Wake() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *platform) Console(fd int, b []byte) error {
	w := p.stdout
	if fd == 2 {
		w = p.stderr
	}
	_, err := w.Write(b)
	return err
}

// StdioType implements shim.StdioTyper.
func (p *platform) StdioType(fd int) uint8 { return p.types[fd] }

// streamType is the WASI filetype of a stream of Config: that of the host file
// when it is one (*os.File: fstat); UNKNOWN, as a pipe, for a Go reader or writer
// of the embedding program (it is no terminal, and a native executable's stream
// in the same place, exec.Cmd's pipe, reads as one); CHARACTER_DEVICE, as
// /dev/null, for no stream at all or a file that cannot be examined (closed).
func streamType(s any) uint8 {
	if s == nil {
		return shim.FiletypeCharacter
	}
	// SyscallConn, not Fd: Fd would put the file in blocking mode.
	f, ok := s.(interface {
		SyscallConn() (syscall.RawConn, error)
	})
	if !ok {
		return shim.FiletypeUnknown
	}
	var st unix.Stat_t
	var err error = unix.EBADF
	if c, cerr := f.SyscallConn(); cerr == nil {
		c.Control(func(fd uintptr) { err = unix.Fstat(int(fd), &st) })
	}
	if err != nil {
		return shim.FiletypeCharacter
	}
	return shim.FiletypeOfMode(st.Mode)
}

func (p *platform) Stdin() shim.Stdin {
	if p.stdin == nil {
		return nil // a nil *stdinPipe must not become a non-nil interface
	}
	return p.stdin
}

func (p *platform) Now(c shim.Clock) uint64 {
	if c == shim.ClockRealtime {
		return uint64(time.Now().UnixNano())
	}
	return uint64(time.Since(p.start))
}

func (p *platform) Resolution(shim.Clock) uint64 { return 1 }

func (p *platform) Random(b []byte) error {
	_, err := rand.Read(b)
	return err
}

// errInterrupted unwinds the app when the run's context is done.
var errInterrupted = sys.NewExitError(sys.ExitCodeContextCanceled)

func (p *platform) Wait(deadline uint64) {
	if p.ctx.Err() != nil {
		panic(errInterrupted)
	}
	var timeout <-chan time.Time
	if deadline != shim.NoDeadline {
		now := p.Now(shim.ClockMonotonic)
		if deadline <= now {
			return
		}
		d := time.Duration(deadline - now)
		if p.timer == nil {
			p.timer = time.NewTimer(d)
		} else {
			p.timer.Reset(d)
		}
		defer p.timer.Stop()
		timeout = p.timer.C
	}
	select {
	case <-p.wake:
	case <-timeout:
	case <-p.ctx.Done():
		panic(errInterrupted)
	}
}

func (p *platform) Exit(code uint32) {
	panic(sys.NewExitError(code))
}

// stdinPipe turns a blocking io.Reader into the shim's non-blocking Stdin: a
// goroutine, started on first use, reads ahead into a bounded buffer and wakes the
// platform when data or the end arrives.
type stdinPipe struct {
	r    io.Reader
	wake func()

	once sync.Once
	mu   sync.Mutex
	cond *sync.Cond // signalled when buf drains
	buf  []byte
	err  error // io.EOF or a read error, after buf is drained
}

const stdinAhead = 64 << 10

func (s *stdinPipe) start() {
	s.once.Do(func() { go s.pump() })
}

func (s *stdinPipe) pump() {
	chunk := make([]byte, 16<<10)
	for {
		n, err := s.r.Read(chunk)
		s.mu.Lock()
		s.buf = append(s.buf, chunk[:n]...)
		if err != nil {
			s.err = err
		}
		for s.err == nil && len(s.buf) >= stdinAhead {
			s.cond.Wait()
		}
		done := s.err != nil
		s.mu.Unlock()
		s.wake()
		if done {
			return
		}
	}
}

func (s *stdinPipe) Read(p []byte) (int, error) {
	s.start()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.buf) > 0 {
		n := copy(p, s.buf)
		s.buf = s.buf[n:]
		s.cond.Signal()
		return n, nil
	}
	if s.err != nil {
		if s.err == io.EOF {
			return 0, io.EOF
		}
		return 0, s.err
	}
	return 0, shim.ErrAgain
}

func (s *stdinPipe) Poll() (int, bool) {
	s.start()
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.buf), s.err != nil
}
