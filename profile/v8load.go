package profile

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
)

// ErrJSCSnapshot is returned for a JavaScriptCore heap snapshot, the format
// Bun's generateHeapSnapshot() writes by default.
var ErrJSCSnapshot = errors.New(`a JavaScriptCore heap snapshot ("type": "Inspector", Bun's default) is not supported: take a V8 snapshot with Bun.generateHeapSnapshot("v8")`)

// snapshotMu lets one heap snapshot (or sampling heap profile) at a time be
// decoded and analysed: that needs memory of the order of the file's size,
// which two at once (LoadAll loads files concurrently) would double, while
// the resulting profiles are small.
var snapshotMu sync.Mutex

// snapshotGCPercent is the garbage collector's GOGC while a snapshot is
// analysed.
const snapshotGCPercent = 25

// decodeV8 decodes the V8 and JSC JSON formats held in memory. It returns
// nil, nil for data in none of them.
func decodeV8(data []byte, opts Options) (*Profile, error) {
	switch looksLikeV8JSON(data) {
	case FormatV8Snapshot:
		return parseV8Snapshot(newBytesScanner(data), int64(len(data)), opts)
	case FormatV8HeapProfile:
		// As for snapshots (see parseV8Snapshot): one at a time, collecting
		// often. A profile whose every node is a distinct frame (the worst
		// case: each is 64 bytes in the model) peaks near 8x its size so,
		// against 10x with the default GOGC.
		snapshotMu.Lock()
		defer snapshotMu.Unlock()
		defer debug.SetGCPercent(debug.SetGCPercent(snapshotGCPercent))
		return parseV8HeapProfile(data)
	case formatJSCSnapshot:
		return nil, ErrJSCSnapshot
	}
	return nil, nil
}

// loadV8Snapshot decodes a heap snapshot as it streams from its file
// (through gzip if it is compressed), so that its bytes are never all in
// memory.
func loadV8Snapshot(path string, in *stream, opts Options) (*Profile, error) {
	s := newReaderScanner(in.r, opts.maxSize())
	// A plain file's size bounds what its header may have allocated up
	// front. A gzip trailer's size is only what the file claims (up to a
	// thousand times what it holds): for a gzipped snapshot the columns grow
	// with what is actually read.
	hint := in.hint
	if in.gzipped {
		hint = 0
	}
	p, err := parseV8Snapshot(s, hint, opts)
	if err != nil {
		if in.gzipped && s.err != nil && !errors.Is(s.err, ErrTooLarge) {
			return nil, gzipError(s.err)
		}
		return nil, err
	}
	p.Name = path
	if err := checkSampleTypes(p); err != nil {
		return nil, err
	}
	return p, nil
}

// parseV8Snapshot decodes a heap snapshot and reduces it to the model: by
// class, or by allocation stack when opts.AllocationStacks asks and the
// snapshot has allocation traces.
func parseV8Snapshot(s *jsonScanner, sizeHint int64, opts Options) (*Profile, error) {
	snapshotMu.Lock()
	defer snapshotMu.Unlock()
	// The analysis holds a few large arrays at once and frees others as it
	// goes; collecting more often keeps the peak near what is live (a
	// 200 MB snapshot peaks at 1.4x its size instead of 1.6x, for 5% more
	// time). The setting is restored when the snapshot is done.
	defer debug.SetGCPercent(debug.SetGCPercent(snapshotGCPercent))
	g, err := parseV8GraphNames(s, sizeHint, opts.Retainers || opts.Collections)
	if err != nil {
		return nil, err
	}
	a := g.analyze()
	p, err := groupV8Snapshot(a, opts)
	if err == nil && (opts.Retainers || opts.Collections) {
		g.attachRetainers(p, a, opts.Retainers)
	}
	return p, err
}

// groupV8Snapshot reduces an analysed snapshot to the model: by class, or
// by allocation stack when opts.AllocationStacks asks and the snapshot has
// allocation traces.
func groupV8Snapshot(a *v8Analysis, opts Options) (*Profile, error) {
	g := a.g
	comments := g.comments
	if opts.AllocationStacks {
		p, err := a.allocationProfile()
		if !errors.Is(err, errNoTraces) {
			if p != nil {
				p.Comments = append(p.Comments, comments...)
			}
			return p, err
		}
		p = a.classProfile()
		p.Comments = append(p.Comments, comments...)
		p.Notes = append(p.Notes, "grouped by class: "+err.Error()+" (take it with node --track-heap-objects)")
		return p, nil
	}
	p := a.classProfile()
	p.Comments = append(p.Comments, comments...)
	if g.trace != nil && len(g.traceNodes) > 0 {
		p.Notes = append(p.Notes, "has allocation traces: --by site, func or stack groups objects by allocation stack")
	}
	return p, nil
}

// describeV8 names a snapshot's size for errors and comments.
func describeV8(g *v8Graph) string {
	return fmt.Sprintf("%d nodes, %d edges", len(g.typ), len(g.eto))
}

// heapdiffMember is the top-level member in which "heapdiff capture
// node://" writes its metadata into a heap snapshot or a sampling heap
// profile: an array of "heapdiff.key=value" strings (trigger, host, pid,
// RSS, heap used, ...), the comments the agent writes into a Go profile.
// They become the profile's Comments. V8 writes no such member.
const heapdiffMember = "heapdiff"

// maxHeapdiffMember bounds the member: what capture writes is about 1 KiB.
const maxHeapdiffMember = 64 << 10

// readHeapdiffMember reads the heapdiff member's value.
func readHeapdiffMember(s *jsonScanner) ([]string, error) {
	raw, err := s.raw(maxHeapdiffMember)
	if err != nil {
		return nil, err
	}
	var comments []string
	if err := json.Unmarshal(raw, &comments); err != nil {
		return nil, fmt.Errorf("%w: the %q member is not an array of strings", ErrMalformed, heapdiffMember)
	}
	return comments, nil
}
