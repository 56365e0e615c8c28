//go:build !linux

package hosted

import "os"

// datasync flushes f (there is no portable fdatasync).
func datasync(f *os.File) error { return f.Sync() }
