//go:build unix

package agent

import (
	"os"
	"syscall"
)

// defaultSignals are the signals that take a snapshot unless [Signals] says
// otherwise.
var defaultSignals = []os.Signal{syscall.SIGUSR2}
