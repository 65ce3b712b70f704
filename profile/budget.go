package profile

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sync"
)

// inflight is the budget every load in this process draws on: the inflated
// bytes that loads running at the same time hold (LoadAll's goroutines, the
// windows of profiles heapdiff trend loads ahead) add up to at most the limit
// (Options.MaxSize) of the load that asks for more. So --max-size bounds the
// whole process, not each of its files: two gzip bombs loaded side by side
// cost one limit, not two.
var inflight = newBudget()

// errBusy is what a load that may start over gets when the bytes it needs
// are held by other loads: it gives back what it holds and starts again
// with a reservation of its whole limit, waiting its turn (see loadFile). It
// never reaches a caller.
var errBusy = errors.New("the memory budget is held by other loads")

// budget counts the bytes that loads in progress hold. Loads reserve bytes
// before they start, waiting in turn until the bytes are free, and grow
// their reservation as they read without ever waiting: a load that waits
// holds nothing, so loads cannot wait on one another.
type budget struct {
	mu   sync.Mutex
	cond sync.Cond
	held int64
	peak int64 // the most held at once, for tests
	// garbage says that a large reservation was released since the last
	// load started: its memory is to be collected (see collectAbove).
	garbage bool
	// Loads wait for their turn in the order they asked: next is the
	// ticket of the next load to ask, turn that of the first waiting.
	next, turn uint64
}

func newBudget() *budget {
	b := &budget{}
	b.cond.L = &b.mu
	return b
}

// reservation is the part of the budget one load holds.
type reservation struct {
	b     *budget
	limit int64 // the load's own limit, Options.MaxSize
	held  int64 // bytes reserved, at least used
	used  int64 // bytes read so far
}

// reserve waits until n bytes fit within limit beside what other loads hold,
// and reserves them. n is at most limit.
func (b *budget) reserve(n, limit int64) *reservation {
	n = min(n, limit)
	b.mu.Lock()
	ticket := b.next
	b.next++
	for b.turn != ticket || b.held+n > limit && b.held > 0 {
		b.cond.Wait()
	}
	b.held += n
	b.peak = max(b.peak, b.held)
	b.turn++
	b.cond.Broadcast() // the next in line may fit too
	collect := b.garbage
	b.garbage = false
	b.mu.Unlock()
	if collect {
		debug.FreeOSMemory()
	}
	return &reservation{b: b, limit: limit, held: n}
}

// use records that k more bytes were read, growing the reservation as
// needed. It never waits: past the load's own limit it reports ErrTooLarge;
// when the bytes are held by other loads, errBusy.
func (r *reservation) use(k int) error {
	r.used += int64(k)
	if r.used <= r.held {
		return nil
	}
	if r.used > r.limit {
		return fmt.Errorf("%w of %d bytes", ErrTooLarge, r.limit)
	}
	// Grow by at least an eighth, so a load that was reserved too little
	// takes the lock a few dozen times, not once per read.
	want := min(max(r.used, r.held+r.held/8, 1<<20), r.limit)
	b := r.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.held-r.held+r.used > r.limit {
		return errBusy
	}
	grown := min(want, r.limit-(b.held-r.held))
	b.held += grown - r.held
	b.peak = max(b.peak, b.held)
	r.held = grown
	return nil
}

// collectAbove is the size of a reservation whose bytes, once it is
// released, are collected and given back to the operating system before the
// next load starts: they are garbage by then, and two bombs loaded one after
// the other would otherwise take twice the limit until the collector came
// round. Collecting alone is not enough: the runtime does not always place
// the next load's bytes where the last one's were, and both stay resident.
const collectAbove = 64 << 20

// release gives the reservation back. The load's bytes must be unreachable
// by then.
func (r *reservation) release() {
	b := r.b
	b.mu.Lock()
	b.held -= r.held
	b.garbage = b.garbage || r.held >= collectAbove
	r.held = 0
	b.cond.Broadcast()
	b.mu.Unlock()
}

// meter counts the bytes read through it against a reservation, and fails
// the read that goes past the limit or into bytes other loads hold. err
// keeps that failure, so the caller can tell it from the reader's own
// errors, however they are wrapped on the way up.
type meter struct {
	r    io.Reader
	res  *reservation
	stop func() bool // if not nil, reports that the load is no longer wanted
	err  error
}

// errStopped ends a load that LoadAll no longer needs.
var errStopped = errors.New("stopped: an earlier profile failed to load")

func (m *meter) Read(p []byte) (int, error) {
	if m.err == nil && m.stop != nil && m.stop() {
		m.err = errStopped
	}
	if m.err != nil {
		return 0, m.err
	}
	n, err := m.r.Read(p)
	if n > 0 {
		if m.err = m.res.use(n); m.err != nil {
			return 0, m.err
		}
	}
	return n, err
}
