package mnet

import (
	"errors"
	"sync"
)

// Pipe returns two connected in-memory FrameIOs, like two NICs joined by a cable:
// each frame written to one is read from the other. Each direction queues up to
// 512 frames and drops frames beyond that (as a real network would), so a writer
// never blocks. It is meant for tests and for running two stacks in one process.
func Pipe() (FrameIO, FrameIO) {
	ab := newFrameQueue()
	ba := newFrameQueue()
	return &pipeEnd{in: ba, out: ab}, &pipeEnd{in: ab, out: ba}
}

// ErrClosed is returned by a closed Pipe end.
var ErrClosed = errors.New("mnet: device closed")

type frameQueue struct {
	c      chan []byte
	closed chan struct{}
	once   sync.Once
}

func newFrameQueue() *frameQueue {
	return &frameQueue{c: make(chan []byte, 512), closed: make(chan struct{})}
}

func (q *frameQueue) close() { q.once.Do(func() { close(q.closed) }) }

type pipeEnd struct {
	in, out *frameQueue
}

func (p *pipeEnd) ReadFrame(buf []byte) (int, error) {
	select {
	case f := <-p.in.c:
		return copy(buf, f), nil
	case <-p.in.closed:
		return 0, ErrClosed
	}
}

func (p *pipeEnd) WriteFrame(frame []byte) error {
	select {
	case <-p.out.closed:
		return ErrClosed
	default:
	}
	f := append([]byte(nil), frame...)
	select {
	case p.out.c <- f:
	default: // queue full: drop
	}
	return nil
}

// Close stops both directions: the peer's reads and writes fail too, like
// unplugging the cable.
func (p *pipeEnd) Close() error {
	p.in.close()
	p.out.close()
	return nil
}
