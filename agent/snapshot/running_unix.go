//go:build unix

package snapshot

import (
	"errors"
	"syscall"
)

// processRunning reports whether a process with this pid exists: signal 0
// checks without sending anything, and EPERM means it exists under another
// user. A pid reused by an unrelated process reads as running, which only
// keeps a few files longer.
func processRunning(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
