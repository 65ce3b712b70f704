//go:build !unix

package main

// captureRequests has no signal to relay where SIGUSR2 does not exist:
// snapshots come on schedule and on triggers only.
func captureRequests() (requests <-chan struct{}, stop func()) { return nil, func() {} }
