//go:build unix

package agent

import (
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

// A signal takes a snapshot, and the service's own handler for the same signal
// still gets it.
func TestSignalTakesSnapshotWithoutStealingIt(t *testing.T) {
	mine := make(chan os.Signal, 1)
	signal.Notify(mine, syscall.SIGUSR2)
	defer signal.Stop(mine)

	a, _ := start(t, Signals(syscall.SIGUSR2))
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a signal snapshot", func() bool { return a.Stats().Captures["signal"] == 1 })
	select {
	case <-mine:
	case <-time.After(20 * time.Second):
		t.Fatal("the service's own SIGUSR2 handler did not get the signal")
	}
	files := snapshots(t, a.Dir())
	if len(files) != 1 || files[0].Trigger != "signal" {
		t.Fatalf("files %+v", files)
	}
	parse(t, a.Dir()+"/"+files[0].File)

	// After Close the agent no longer listens.
	a.Close()
	syscall.Kill(os.Getpid(), syscall.SIGUSR2)
	<-mine
	time.Sleep(100 * time.Millisecond)
	if n := len(snapshots(t, a.Dir())); n != 1 {
		t.Fatalf("%d snapshots after Close, want 1", n)
	}

	// With no listener left at all, a stray SIGUSR2 is ignored by the Go
	// runtime: this test process survives it.
	signal.Stop(mine)
	syscall.Kill(os.Getpid(), syscall.SIGUSR2)
	time.Sleep(100 * time.Millisecond)
}

// A storm of signals gives a bounded number of snapshots.
func TestSignalStormCoalesces(t *testing.T) {
	a, _ := start(t, Signals(syscall.SIGUSR2), MinInterval(time.Hour))
	for range 100 {
		syscall.Kill(os.Getpid(), syscall.SIGUSR2)
	}
	eventually(t, "a signal snapshot", func() bool { return a.Stats().Captures["signal"] >= 1 })
	time.Sleep(200 * time.Millisecond)
	if n := a.Stats().Captures["signal"]; n != 1 {
		t.Fatalf("%d snapshots from 100 signals within MinInterval, want 1", n)
	}
}
