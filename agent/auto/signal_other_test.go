//go:build !unix

package auto

import (
	"os"
	"testing"
)

func signalUSR2(t *testing.T, _ *os.Process) { t.Skip("no SIGUSR2") }
