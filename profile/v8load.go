package profile

import (
	"errors"
	"io"
	"runtime/debug"
	"sync"

	"github.com/heapdiff/heapdiff/profile/v8"
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

// v8Format is the format of a file package v8 recognises by its start.
func v8Format(head []byte) Format {
	switch v8.Sniff(head) {
	case v8.KindSnapshot:
		return FormatV8Snapshot
	case v8.KindHeapProfile:
		return FormatV8HeapProfile
	case v8.KindJSCSnapshot:
		return formatJSCSnapshot
	}
	return formatUnknown
}

// decodeV8 decodes the V8 and JSC JSON formats held in memory. It returns
// nil, nil for data in none of them.
func decodeV8(data []byte, opts Options) (*Profile, error) {
	switch v8Format(data) {
	case FormatV8Snapshot:
		snapshotMu.Lock()
		defer snapshotMu.Unlock()
		defer debug.SetGCPercent(debug.SetGCPercent(snapshotGCPercent))
		g, err := v8.ParseSnapshot(data)
		if err != nil {
			return nil, v8Error(err)
		}
		return snapshotModel(g, opts)
	case FormatV8HeapProfile:
		// As for snapshots: one at a time, collecting often. A profile
		// whose every node is a distinct frame (the worst case: each is 64
		// bytes in the model) peaks near 8x its size so, against 10x with
		// the default GOGC.
		snapshotMu.Lock()
		defer snapshotMu.Unlock()
		defer debug.SetGCPercent(debug.SetGCPercent(snapshotGCPercent))
		return heapProfileModel(data)
	case formatJSCSnapshot:
		return nil, ErrJSCSnapshot
	}
	return nil, nil
}

// loadV8Snapshot decodes a heap snapshot as it streams from its file
// (through gzip if it is compressed), so that its bytes are never all in
// memory.
func loadV8Snapshot(path string, in *stream, opts Options) (*Profile, error) {
	// A plain file's size bounds what its header may have allocated up
	// front. A gzip trailer's size is only what the file claims (up to a
	// thousand times what it holds): for a gzipped snapshot the columns grow
	// with what is actually read.
	hint := in.hint
	if in.gzipped {
		hint = 0
	}
	r := &readError{r: in.r}
	snapshotMu.Lock()
	defer snapshotMu.Unlock()
	// The analysis holds a few large arrays at once and frees others as it
	// goes; collecting more often keeps the peak near what is live (a
	// 200 MB snapshot peaks at 1.4x its size instead of 1.6x, for 5% more
	// time). The setting is restored when the snapshot is done.
	defer debug.SetGCPercent(debug.SetGCPercent(snapshotGCPercent))
	g, err := v8.ReadSnapshot(r, hint)
	if err != nil {
		if in.gzipped && r.err != nil && !errors.Is(r.err, ErrTooLarge) {
			return nil, gzipError(r.err)
		}
		return nil, v8Error(err)
	}
	p, err := snapshotModel(g, opts)
	if err != nil {
		return nil, err
	}
	p.Name = path
	if err := checkSampleTypes(p); err != nil {
		return nil, err
	}
	return p, nil
}

// readError keeps the first error, other than io.EOF, its reader returns:
// the gzip error that cut a snapshot short, which the snapshot's decoder
// only reports as its end.
type readError struct {
	r   io.Reader
	err error
}

func (e *readError) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && e.err == nil && !errors.Is(err, io.EOF) {
		e.err = err
	}
	return n, err
}
