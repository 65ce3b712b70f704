//go:build linux || darwin

package main

import (
	"bytes"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/creack/pty"
)

// TestProgressOnARealTerminal runs the real binary with its standard error
// on a pseudo-terminal, then on a pipe: the progress line is drawn and
// cleared on the terminal only, and standard output, a pipe both times, is
// the report alone, the same either way.
func TestProgressOnARealTerminal(t *testing.T) {
	bin := heapdiffBinary(t)
	args := []string{"compare", base, target, "--by", "stack", "--cum"}

	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	var onTTY bytes.Buffer
	copied := make(chan struct{})
	go func() {
		io.Copy(&onTTY, ptmx) // ends with EIO once the last writer closes
		close(copied)
	}()
	var outTTY bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &outTTY, tty
	err = cmd.Run()
	tty.Close()
	<-copied
	if err != nil {
		t.Fatalf("on a terminal: %v; stderr %q", err, onTTY.String())
	}
	errTTY := onTTY.String()
	for _, want := range []string{"\rloading " + base + " and " + target, "\rcomparing by stack"} {
		if !strings.Contains(errTTY, want) {
			t.Errorf("the terminal shows %q, without %q", errTTY, want)
		}
	}
	if !strings.HasSuffix(errTTY, "\r\x1b[K") {
		t.Errorf("the progress line is not cleared: %q", errTTY)
	}

	var outPipe, errPipe bytes.Buffer
	cmd = exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &outPipe, &errPipe
	if err := cmd.Run(); err != nil {
		t.Fatalf("on a pipe: %v; stderr %q", err, errPipe.String())
	}
	if errPipe.Len() != 0 {
		t.Errorf("progress on a pipe: %q", errPipe.String())
	}
	if outPipe.Len() == 0 || outTTY.String() != outPipe.String() || strings.Contains(outPipe.String(), "\x1b") {
		t.Errorf("standard output differs with stderr on a terminal (%d bytes, %d on a pipe), or holds escapes", outTTY.Len(), outPipe.Len())
	}
}
