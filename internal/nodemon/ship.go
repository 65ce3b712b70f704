package nodemon

import (
	"context"
	"path/filepath"
)

// Snapshots are handed to Config.Written ("capture --upload") by a goroutine
// of their own, one at a time in the order they were written, so that a slow
// store holds up neither sampling nor the next snapshot. Files waiting for
// it, or in its hands, are kept from retention; at the end of the run those
// still waiting are handed over before Run returns (with a cancelled ctx
// when the run was stopped, so they fail at once and stay on disk).

// shipQueue bounds the snapshots waiting for Written; one written while it
// is full is not uploaded, and that is logged.
const shipQueue = 8

// shipment is a snapshot for Written.
type shipment struct {
	name, dir string
	size      int64
	comments  []string
}

// shipped is what Written did with a shipment.
type shipped struct {
	shipment
	where string
	err   error
}

// startShipping starts the goroutine that calls Written, when it is set.
func (m *monitor) startShipping(ctx context.Context) {
	if m.cfg.Written == nil {
		return
	}
	m.shipQueue = make(chan shipment, shipQueue)
	m.shipResults = make(chan shipped)
	m.shipping = map[string]bool{}
	go func() {
		defer close(m.shipResults)
		for s := range m.shipQueue {
			wctx, cancel := context.WithTimeout(ctx, m.cfg.WrittenTimeout)
			where, err := m.cfg.Written(wctx, filepath.Join(s.dir, s.name), s.size, s.comments)
			cancel()
			m.shipResults <- shipped{shipment: s, where: where, err: err}
		}
	}()
}

// ship queues a snapshot just written for Written.
func (m *monitor) ship(r result) {
	if m.shipQueue == nil {
		return
	}
	select {
	case m.shipQueue <- shipment{name: r.name, dir: r.dir, size: r.size, comments: r.comments}:
		m.shipping[r.name] = true
	default:
		m.unshipped++
		m.logf("%s: not uploaded: %d snapshots already wait for the store; the file stays in %s", r.name, shipQueue, r.dir)
	}
}

// shipDone logs and counts what Written did.
func (m *monitor) shipDone(s shipped) {
	delete(m.shipping, s.name)
	if s.err != nil {
		m.unshipped++
		m.logf("%s: %v; the file stays in %s", s.name, s.err, s.dir)
		return
	}
	m.shipped++
	m.logf("%s: uploaded to %s", s.name, s.where)
}

// finishShipping waits until the snapshots queued are handed over.
func (m *monitor) finishShipping() {
	if m.shipQueue == nil {
		return
	}
	close(m.shipQueue)
	for s := range m.shipResults {
		m.shipDone(s)
	}
	m.shipQueue = nil
}
