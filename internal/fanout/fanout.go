// Package fanout runs a command's parallel work so that a bug in it stays a
// bug of the command: a panic on one of its goroutines is raised again on
// the goroutine that waits for them, where the command's guard (see
// cmd/heapdiff) turns it into one line. A panic left on a goroutine of its
// own would end the process with every goroutine's stack.
package fanout

import "sync"

// Group runs functions on goroutines of their own and waits for them. The
// zero value is ready to use; a Group is not copied once used.
type Group struct {
	wg       sync.WaitGroup
	mu       sync.Mutex
	panicked any
}

// Go runs f on a goroutine of its own.
func (g *Group) Go(f func()) {
	g.wg.Go(func() {
		defer func() {
			if r := recover(); r != nil {
				g.mu.Lock()
				if g.panicked == nil {
					g.panicked = r
				}
				g.mu.Unlock()
			}
		}()
		f()
	})
}

// Wait waits for every function Go started, then panics with the first
// panic one of them raised, if any did.
func (g *Group) Wait() {
	g.wg.Wait()
	if g.panicked != nil {
		panic(g.panicked)
	}
}
