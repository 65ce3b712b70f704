//go:build !unix

package auto

import "os"

// shutdownSignals are the signals HEAPDIFF_SUMMARY_ON_SIGNAL closes the agent
// on: os.Interrupt is the one every system has.
var shutdownSignals = []os.Signal{os.Interrupt}
