//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// captureRequests relays SIGUSR2 sent to heapdiff itself as requests for a
// snapshot now; stop ends the relay. Signals that arrive while one waits
// coalesce into one.
func captureRequests() (requests <-chan struct{}, stop func()) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR2)
	out := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-sig:
				select {
				case out <- struct{}{}:
				default:
				}
			}
		}
	}()
	return out, func() { signal.Stop(sig); close(done) }
}
