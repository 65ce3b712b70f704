// Package inspector talks to a Node.js process through its inspector: it
// finds the process's target with the inspector's HTTP /json/list, connects
// to it over the DevTools protocol's WebSocket, and asks V8 for what a
// memory monitor needs: the process's memory, full heap snapshots streamed
// chunk by chunk to a writer, sampling heap profiles, and garbage
// collections.
//
// The WebSocket is chromedp's own client (github.com/chromedp/chromedp/remote),
// already in heapdiff's module graph for the HTML report's browser tests;
// the messages are cdproto's typed commands and events, run with
// [cdp.Call] on a [Session]. chromedp's Browser cannot be the session:
// it attaches to targets with Target.* commands that Node.js lacks, and it
// hands events to subscribers on goroutines of their own, so a reader cannot
// tell, once HeapProfiler.takeHeapSnapshot answers, whether the last chunk
// has reached it. A Session delivers a command's events on the goroutine
// that reads the connection, in the order the process sent them, so every
// chunk is written before the command's answer is seen.
package inspector

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/chromedp/cdproto"
	"github.com/chromedp/cdproto/cdp"
	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/chromedp/remote"
)

// ErrClosed is the error of a call on a session whose connection has ended:
// the process exited or restarted, or the session was closed.
var ErrClosed = errors.New("inspector connection closed")

// A Session is one DevTools protocol connection to a target. It satisfies
// [cdp.Session], so cdproto's typed commands run on it with [cdp.Call].
// Its methods are safe for concurrent use.
type Session struct {
	conn *remote.Conn
	next atomic.Int64

	mu       sync.Mutex
	pending  map[int64]chan *cdproto.Message
	handlers map[string]map[*handler]struct{}
	closed   bool
	exited   bool  // the process said it is exiting (see Attach)
	err      error // why the connection ended

	done chan struct{} // closed when the connection ends
}

// handler is an event handler called on the reading goroutine.
type handler struct{ fn func(jsonv2.Value) }

// Dial connects to a target's WebSocket URL (its webSocketDebuggerUrl).
func Dial(ctx context.Context, wsURL string) (*Session, error) {
	conn, err := remote.DialContext(ctx, wsURL)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", wsURL, err)
	}
	s := &Session{
		conn:     conn,
		pending:  map[int64]chan *cdproto.Message{},
		handlers: map[string]map[*handler]struct{}{},
		done:     make(chan struct{}),
	}
	go s.read()
	return s, nil
}

// read dispatches what the target sends until the connection ends: answers
// to their calls, events to their handlers, in order.
func (s *Session) read() {
	var err error
	for {
		msg := new(cdproto.Message)
		if err = s.conn.Read(context.Background(), msg); err != nil {
			break
		}
		switch {
		case msg.ID != 0:
			s.mu.Lock()
			ch := s.pending[msg.ID]
			delete(s.pending, msg.ID)
			s.mu.Unlock()
			if ch != nil {
				ch <- msg // buffered: never blocks
			}
		case msg.Method != "":
			s.mu.Lock()
			var fns []func(jsonv2.Value)
			for h := range s.handlers[string(msg.Method)] {
				fns = append(fns, h.fn)
			}
			s.mu.Unlock()
			for _, fn := range fns {
				fn(msg.Params)
			}
		}
	}
	s.mu.Lock()
	if !s.closed {
		s.err = err
		if s.exited {
			s.err = ErrExited
		}
	}
	s.closed = true
	for id, ch := range s.pending {
		close(ch)
		delete(s.pending, id)
	}
	s.mu.Unlock()
	s.conn.Close()
	close(s.done)
}

// Done is closed when the connection ends.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err says why the connection ended: nil while it is open or after Close,
// ErrExited when the process ended normally, otherwise the read error
// (io.EOF when the target closed it).
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the connection and waits until its reader has stopped.
func (s *Session) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	err := s.conn.Close()
	<-s.done
	return err
}

// Call sends the command method with params, waits for its answer and
// decodes the result into result (when not nil). A protocol error comes back
// as a [*cdproto.Error]; a connection that ends first gives [ErrClosed].
// It satisfies [cdp.Session].
func (s *Session) Call(ctx context.Context, method string, params, result any) error {
	var buf []byte
	if params != nil {
		var err error
		if buf, err = jsonv2.Marshal(params); err != nil {
			return fmt.Errorf("%s: encode parameters: %w", method, err)
		}
	}
	id := s.next.Add(1)
	ch := make(chan *cdproto.Message, 1)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fmt.Errorf("%s: %w", method, ErrClosed)
	}
	s.pending[id] = ch
	s.mu.Unlock()
	forget := func() {
		s.mu.Lock()
		delete(s.pending, id)
		s.mu.Unlock()
	}
	if err := s.conn.Write(ctx, &cdproto.Message{ID: id, Method: cdproto.MethodType(method), Params: buf}); err != nil {
		forget()
		return fmt.Errorf("%s: send: %w", method, err)
	}
	select {
	case <-ctx.Done():
		forget()
		return fmt.Errorf("%s: %w", method, ctx.Err())
	case msg, ok := <-ch:
		switch {
		case !ok:
			return fmt.Errorf("%s: %w", method, ErrClosed)
		case msg.Error != nil:
			return fmt.Errorf("%s: %w", method, msg.Error)
		case result != nil && len(msg.Result) > 0:
			if err := jsonv2.Unmarshal(msg.Result, result); err != nil {
				return fmt.Errorf("%s: decode result: %w", method, err)
			}
		}
		return nil
	}
}

// handle calls fn with the parameters of each event method, on the
// goroutine that reads the connection, in the order the target sent them,
// until the returned cancel is called. fn must not call the session.
func (s *Session) handle(method string, fn func(jsonv2.Value)) (cancel func()) {
	h := &handler{fn: fn}
	s.mu.Lock()
	if s.handlers[method] == nil {
		s.handlers[method] = map[*handler]struct{}{}
	}
	s.handlers[method][h] = struct{}{}
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		delete(s.handlers[method], h)
		s.mu.Unlock()
	}
}

// Subscribe returns a channel of the parameters of each event method, from
// now until cancel is called or the connection ends. Events wait in a queue
// without a bound, so the reader of the connection never blocks. It
// satisfies [cdp.Session]; a command that streams what it returns
// ([Session.TakeHeapSnapshot]) uses an ordered handler instead.
func (s *Session) Subscribe(method string) (<-chan jsonv2.Value, func()) {
	out := make(chan jsonv2.Value)
	var (
		mu    sync.Mutex
		queue []jsonv2.Value
		wake  = make(chan struct{}, 1)
		stop  = make(chan struct{})
		once  sync.Once
	)
	cancelHandler := s.handle(method, func(v jsonv2.Value) {
		mu.Lock()
		queue = append(queue, v)
		mu.Unlock()
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	go func() {
		defer close(out)
		for {
			mu.Lock()
			q := queue
			queue = nil
			mu.Unlock()
			for _, v := range q {
				select {
				case out <- v:
				case <-stop:
					return
				}
			}
			if len(q) > 0 {
				continue
			}
			select {
			case <-wake:
			case <-stop:
				return
			case <-s.done:
				return
			}
		}
	}()
	return out, func() { once.Do(func() { cancelHandler(); close(stop) }) }
}

var _ cdp.Session = (*Session)(nil)

// writeErr keeps the first error of a sequence of writes.
type writeErr struct {
	w   io.Writer
	n   int64
	err error
}

func (w *writeErr) write(s string) {
	if w.err != nil {
		return
	}
	n, err := io.WriteString(w.w, s)
	w.n += int64(n)
	w.err = err
}
