package fanout

import (
	"sync/atomic"
	"testing"
)

// A panic on one of a Group's goroutines reaches the goroutine that waits,
// after every function has returned; without one, Wait returns.
func TestGroupCarriesAPanicToWait(t *testing.T) {
	var g Group
	var finished atomic.Int32
	g.Go(func() { finished.Add(1) })
	g.Go(func() { panic("boom") })
	g.Go(func() { finished.Add(1) })
	got := func() (r any) {
		defer func() { r = recover() }()
		g.Wait()
		return nil
	}()
	if got != "boom" || finished.Load() != 2 {
		t.Errorf("Wait panicked with %v after %d of 2 others finished; want boom after both", got, finished.Load())
	}

	var calm Group
	calm.Go(func() { finished.Add(1) })
	calm.Wait()
	if finished.Load() != 3 {
		t.Errorf("Wait returned before its function ran")
	}
}
