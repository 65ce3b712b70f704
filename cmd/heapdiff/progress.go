package main

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progress draws one status line on standard error while long work runs
// (loading, comparing a large pair, rendering to a file), so that a
// terminal is never left blank for seconds, and clears it when the work is
// done. It draws only when standard error is a terminal: on a pipe, a log
// or a CI console it writes nothing. A step that lasts more than a second
// shows how long it has run, redrawn every second.
//
// The zero value and a nil *progress are off; all methods are safe for
// concurrent use.
type progress struct {
	w io.Writer

	mu    sync.Mutex
	msg   string    // the line shown; "" when none is
	since time.Time // when msg was set
	stop  chan struct{}
}

// newProgress returns a progress line on s.ErrOut, or nil, which draws
// nothing, when standard error is not a terminal.
func newProgress(s *streams) *progress {
	if !s.ErrIsTerminal {
		return nil
	}
	return &progress{w: s.ErrOut}
}

// show replaces the status line with msg.
func (p *progress) show(format string, args ...any) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msg, p.since = fmt.Sprintf(format, args...), time.Now()
	p.draw(p.msg)
	if p.stop == nil {
		p.stop = make(chan struct{})
		go p.tick(p.stop)
	}
}

// done clears the status line. Call it before writing to standard output,
// which may be the same terminal, and when the work ends, however it ends.
func (p *progress) done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stop != nil {
		close(p.stop)
		p.stop = nil
	}
	if p.msg != "" {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.msg = ""
	}
}

// tick redraws the line every second with the time its step has taken.
func (p *progress) tick(stop chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			p.mu.Lock()
			if p.stop == stop && p.msg != "" {
				if d := time.Since(p.since); d >= time.Second {
					p.draw(fmt.Sprintf("%s (%ds)", p.msg, int(d.Seconds())))
				}
			}
			p.mu.Unlock()
		}
	}
}

// draw writes line over the current one: back to its start, the text, then
// erase what is left of the old one.
func (p *progress) draw(line string) { fmt.Fprintf(p.w, "\r%s\x1b[K", line) }
