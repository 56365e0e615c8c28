//go:build !wasip1

package mnet

// OpenDevice opens /dev/net0. Outside GOOS=wasip1 there is no such device; use
// Pipe (or another FrameIO) with New instead.
func OpenDevice() (FrameIO, error) { return nil, ErrNoDevice }

// hostFallback: natively, Default falls back to the host's network.
const hostFallback = true
