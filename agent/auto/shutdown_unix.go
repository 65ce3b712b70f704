//go:build unix

package auto

import (
	"os"
	"syscall"
)

// shutdownSignals are the signals HEAPDIFF_SUMMARY_ON_SIGNAL closes the agent
// on: what service managers (systemd, Kubernetes, docker stop) send, and ^C.
var shutdownSignals = []os.Signal{syscall.SIGTERM, os.Interrupt}
