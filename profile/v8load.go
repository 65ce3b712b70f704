package profile

import (
	"errors"
	"io"
	"runtime"
	"sync"

	"github.com/heapdiff/heapdiff/profile/v8"
)

// ErrJSCSnapshot is returned for a JavaScriptCore heap snapshot, the format
// Bun's generateHeapSnapshot() writes by default.
var ErrJSCSnapshot = errors.New(`a JavaScriptCore heap snapshot ("type": "Inspector", Bun's default) is not supported: take a V8 snapshot with Bun.generateHeapSnapshot("v8")`)

// snapshotMu lets one heap snapshot (or sampling heap profile) at a time be
// decoded and analysed: that needs memory of the order of the file's size,
// which two at once (LoadAll loads files concurrently) would double, while
// the resulting profiles are small. collectFirst, under snapshotMu, says
// that the last load to hold it left a large graph to the collector.
var (
	snapshotMu   sync.Mutex
	collectFirst bool
)

// lockV8 takes snapshotMu for a load. When the load before left a large
// graph (a pair's first snapshot, loaded just before its second), that
// garbage is collected first: the next load's arrays would otherwise pile
// onto it until the collector's next cycle, which GOGC lets wait until the
// heap is half again (at GOGC=50, as heapdiff runs) what was live at the
// last. A pair of real 160 and 212 MB snapshots (bench/v8real.sh) peaked at
// 1.28x to 1.46x the larger so, and at 1.20x to 1.27x with the collection.
// One collection of a heap that is mostly garbage costs milliseconds, and
// no setting of the process's collector changes: the library leaves GOGC
// to the program (heapdiff's CLI sets 50).
func lockV8() {
	snapshotMu.Lock()
	if collectFirst {
		collectFirst = false
		runtime.GC()
	}
}

// unlockV8 releases snapshotMu after a load of size bytes, whose graph is
// garbage by then.
func unlockV8(size int64) {
	collectFirst = size >= collectAbove
	snapshotMu.Unlock()
}

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
		lockV8()
		defer unlockV8(int64(len(data)))
		g, err := v8.ParseSnapshot(data, readOptions(opts))
		if err != nil {
			return nil, v8Error(err)
		}
		return snapshotModel(g, opts)
	case FormatV8HeapProfile:
		// One at a time, as for snapshots.
		lockV8()
		defer unlockV8(int64(len(data)))
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
	lockV8()
	defer func() { unlockV8(r.n) }()
	g, err := v8.ReadSnapshot(r, hint, readOptions(opts))
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
// only reports as its end. n counts the bytes read.
type readError struct {
	r   io.Reader
	n   int64
	err error
}

func (e *readError) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	e.n += int64(n)
	if err != nil && e.err == nil && !errors.Is(err, io.EOF) {
		e.err = err
	}
	return n, err
}
