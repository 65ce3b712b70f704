//go:build unix

package auto

import (
	"os"
	"syscall"
	"testing"
)

func signalUSR2(t *testing.T, p *os.Process) {
	if err := p.Signal(syscall.SIGUSR2); err != nil {
		t.Fatal(err)
	}
}
