package profile

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
)

// DefaultMaxSize is the default limit on a profile's decompressed size. It stops
// a gzip bomb (a small file that inflates to gigabytes) before it exhausts
// memory, while leaving room for the largest real heap profiles.
const DefaultMaxSize = 1 << 30

// Errors that Load and Parse wrap, so callers can tell the problems apart with
// errors.Is.
var (
	ErrEmpty         = errors.New("empty file")
	ErrNotProfile    = errors.New("not a profile")
	ErrTruncated     = errors.New("truncated gzip stream")
	ErrCorrupt       = errors.New("corrupt gzip stream")
	ErrTooLarge      = errors.New("decompressed size exceeds the limit")
	ErrNoSampleTypes = errors.New("profile has no sample types")
	ErrNotMemory     = errors.New("not a memory profile")
	ErrMalformed     = errors.New("malformed profile")
	// ErrInternal is a bug in the loader, caught instead of crashing.
	ErrInternal = errors.New("internal error")
)

// Options control loading. The zero value is ready to use.
type Options struct {
	// MaxSize limits the decompressed size of a profile in bytes;
	// 0 means DefaultMaxSize. Loads running at the same time in one
	// process share it: together they hold at most MaxSize inflated bytes
	// (a load waits its turn for the bytes it needs), so that loading
	// several files costs no more than loading the largest. A legacy text
	// profile may hold at most MaxSize/128 bytes.
	MaxSize int64
	// Stdin is read when the name is "-"; nil means os.Stdin.
	Stdin io.Reader
	// AllocationStacks groups the objects of V8 heap snapshots taken with
	// allocation tracking (node --track-heap-objects) by the stack that
	// allocated them, instead of by class.
	AllocationStacks bool
	// KeepSnapshot keeps the graph of a V8 heap snapshot in
	// Profile.Snapshot once the profile is made, for a program's own
	// analyses that walk it (Retainers need not). The graph takes about 0.6 times the
	// snapshot's file, for as long as the profile is kept, and the
	// analysis then peaks higher: without it, the analysis drops the graph
	// as it goes (v8.AnalyzeOptions.Drop).
	KeepSnapshot bool
	// Retainers keeps, for a V8 heap snapshot, what answers who holds its
	// objects (Profile.Retainers) and its collections (Profile.Collections):
	// about 32 bytes per node of the snapshot, for as long as the profile
	// is kept, and the load reads four bytes an edge more. LoadAll keeps them for its last file only, and the others'
	// collections (see ForFile): a comparison asks who holds what grew in
	// its target.
	Retainers bool
	// Collections keeps only a V8 heap snapshot's collections
	// (Profile.Collections), a few bytes per collection.
	Collections bool

	// stop, if not nil, reports that the load is no longer wanted
	// (LoadAll: an earlier file failed).
	stop func() bool
}

// ForFile returns the options for the i-th of n files loaded together (a
// comparison's base and target, a series): Retainers for the last only, and
// Collections instead for the others, which only the last one's paths are
// asked of.
func (o Options) ForFile(i, n int) Options {
	if o.Retainers && i < n-1 {
		o.Retainers, o.Collections = false, true
	}
	return o
}

func (o Options) maxSize() int64 {
	if o.MaxSize <= 0 {
		return DefaultMaxSize
	}
	return o.MaxSize
}

// Load reads the heap profile at path ("-" for standard input) and reduces it
// to the model. It refuses, with an error naming the file, anything that is
// not a memory profile. Every error it returns starts with "load PATH:".
// The profile's strings (names, files, comments, types, and the path itself
// in errors and in Profile.Name) come from a file that may be crafted: control
// characters, invalid UTF-8 and bidirectional overrides in them are escaped
// (as \x1b, \xff, \u202e), so a report or an error cannot disturb the
// terminal or the layout it is printed in.
func Load(path string, opts Options) (p *Profile, err error) {
	defer recoverInternal(&err)
	p, err = load(path, opts)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", printable(path), err)
	}
	addFileNameFacts(p, path) // v8time.go: Node.js's and Bun's file names give time and pid
	finishPrintable(p)
	return p, nil
}

func load(path string, opts Options) (*Profile, error) {
	for exclusive := false; ; exclusive = true {
		p, err := loadFile(path, opts, exclusive)
		if !errors.Is(err, errBusy) || exclusive {
			return p, err
		}
		// Other loads hold the bytes this one needs to go on: start over
		// when they are done. Only a file read from its start twice gets
		// here: pipes and standard input are read exclusively at once.
	}
}

// loadFile reads path once. Its inflated bytes are reserved from inflight:
// as many as the file says it holds, growing as it is read, or, when
// exclusive (or when the file is a pipe, which cannot be read twice), the
// whole limit, waiting until no other load holds any.
func loadFile(path string, opts Options, exclusive bool) (*Profile, error) {
	limit := opts.maxSize()
	var in *stream
	if path == "-" {
		src := opts.Stdin
		if src == nil {
			src = os.Stdin
		}
		var err error
		if in, err = openReader(src, 0, false, nil); err != nil {
			return nil, err
		}
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, describeOpenError(err)
		}
		defer f.Close()
		if in, err = openStream(f, limit); err != nil {
			return nil, err
		}
	}
	defer in.close()
	reserve := limit
	if in.rereadable && !exclusive {
		reserve = in.hint
	}
	res := inflight.reserve(reserve, limit)
	defer res.release()
	if opts.stop != nil && opts.stop() {
		return nil, errStopped
	}
	return decodeStream(path, in, opts, res)
}

// decodeStream decodes the content of in, counting it against res: a heap
// snapshot is decoded as it streams in, anything else is read whole first.
// Load and Parse both end here, so the same bytes get the same answer
// either way (a gzipped snapshot whose checksum is wrong, for one, is
// refused for what its decoder finds first).
func decodeStream(name string, in *stream, opts Options, res *reservation) (*Profile, error) {
	m := &meter{r: in.content, res: res, stop: opts.stop}
	in.r = bufio.NewReaderSize(m, 256<<10)
	// One look at the start of the (inflated) stream decides.
	if head, _ := in.r.Peek(512); m.err == nil && v8Format(head) == FormatV8Snapshot {
		p, err := loadV8Snapshot(name, in, opts)
		if m.err != nil {
			return nil, m.err
		}
		return p, err
	}
	data, err := in.readAll(min(in.hint, res.limit))
	if m.err != nil {
		return nil, m.err
	}
	if err != nil {
		return nil, err
	}
	return decodeContent(name, data, in.gzipped, opts, res)
}

// LoadAll loads several profiles concurrently, one goroutine per file, and
// returns them in the order given. It returns the first error in that order,
// and stops loading the files after a file that failed. The files share
// opts.MaxSize (see Options).
func LoadAll(paths []string, opts Options) ([]*Profile, error) {
	profiles := make([]*Profile, len(paths))
	errs := make([]error, len(paths))
	var firstFailed atomic.Int64 // the lowest index of a file that failed
	firstFailed.Store(int64(len(paths)))
	var wg sync.WaitGroup
	for i, path := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			opts := opts.ForFile(i, len(paths))
			opts.stop = func() bool { return firstFailed.Load() < int64(i) }
			profiles[i], errs[i] = Load(path, opts)
			if errs[i] != nil {
				for f := firstFailed.Load(); int64(i) < f && !firstFailed.CompareAndSwap(f, int64(i)); f = firstFailed.Load() {
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return profiles, nil
}

// Parse reduces the profile held in data to the model. name is used in the
// model and in errors only.
func Parse(name string, data []byte, opts Options) (p *Profile, err error) {
	defer recoverInternal(&err)
	for exclusive := false; ; exclusive = true {
		p, err = parse(name, data, opts, exclusive)
		if !errors.Is(err, errBusy) || exclusive {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", printable(name), err)
	}
	finishPrintable(p)
	return p, nil
}

// parse inflates data if it is gzipped, under a reservation from inflight
// (see loadFile), and decodes it.
func parse(name string, data []byte, opts Options, exclusive bool) (*Profile, error) {
	if len(data) == 0 {
		return nil, ErrEmpty
	}
	limit := opts.maxSize()
	if !isGzip(data) {
		if int64(len(data)) > limit {
			return nil, fmt.Errorf("%w of %d bytes", ErrTooLarge, limit)
		}
		res := inflight.reserve(int64(len(data)), limit)
		defer res.release()
		res.use(len(data)) // cannot fail: reserved
		return decodeContent(name, data, false, opts, res)
	}
	var hint int64
	if len(data) >= 18 {
		hint = sizeHint(int64(binary.LittleEndian.Uint32(data[len(data)-4:])), int64(len(data)), limit)
	}
	reserve := hint
	if exclusive {
		reserve = limit
	}
	res := inflight.reserve(reserve, limit)
	defer res.release()
	in, err := openReader(bytes.NewReader(data), 0, true, nil)
	if err != nil {
		return nil, err
	}
	defer in.close()
	in.hint = hint
	return decodeStream(name, in, opts, res)
}

// decodeContent decodes a file's content: its bytes once a gzip layer, if
// there was one, is inflated. Only one layer is: a file compressed twice is
// refused, here rather than by github.com/google/pprof/profile, which would
// inflate the second layer with no limit.
func decodeContent(name string, data []byte, inflated bool, opts Options, res *reservation) (*Profile, error) {
	if len(data) == 0 {
		if inflated {
			return nil, fmt.Errorf("%w: the gzip stream holds no data", ErrEmpty)
		}
		return nil, ErrEmpty
	}
	if isGzip(data) { // only inflated data can start so: gzip is inflated first
		return nil, fmt.Errorf("%w: gzip inside gzip (compressed twice?): inflate it once with gunzip and load the result", ErrNotProfile)
	}
	p, err := decodeV8(data, opts)
	if p == nil && err == nil {
		p, err = decode(data, res)
	}
	if err != nil {
		return nil, err
	}
	p.Name = name
	if err := checkSampleTypes(p); err != nil {
		return nil, err
	}
	return p, nil
}

// finishPrintable escapes the strings of a loaded profile (see Load). The
// lean pprof decoder escapes each string of its table as it reads it, once
// however many frames share it; every other decoder's profile is escaped
// here, string by string.
func finishPrintable(p *Profile) {
	if p.Format == FormatPprof {
		p.Name = printable(p.Name)
		return
	}
	p.makePrintable()
}

// recoverInternal turns a panic while loading (a bug: no input should cause
// one) into an error, so that one bad file cannot crash a program that
// loads many, nor print a stack trace instead of naming the file.
func recoverInternal(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: %v (please report it, with the file if you can share it)", ErrInternal, r)
	}
}

// checkSampleTypes refuses a profile without sample types, one that counts no
// bytes, and one with two sample types of the same name: everything after
// loading finds a sample type by name, so a second "space" would be compared
// against the first one's values, or against none.
func checkSampleTypes(p *Profile) error {
	if len(p.SampleTypes) == 0 {
		return ErrNoSampleTypes
	}
	if err := checkDuplicateTypes(p.SampleTypes); err != nil {
		return err
	}
	if !p.IsMemory() {
		return fmt.Errorf("%w: its sample types are %s (a heap profile counts bytes, e.g. inuse_space/bytes)", ErrNotMemory, valueTypesString(p.SampleTypes))
	}
	return nil
}

// checkDuplicateTypes refuses two sample types of the same name.
func checkDuplicateTypes(types []ValueType) error {
	seen := make(map[string]bool, len(types))
	for _, t := range types {
		if seen[t.Type] {
			return fmt.Errorf("%w: sample type %q appears twice (%s); each needs its own name", ErrMalformed, t.Type, printable(valueTypesString(types)))
		}
		seen[t.Type] = true
	}
	return nil
}

// valueTypesString lists sample types as pprof writes them, the first
// eight of them: a crafted profile may have a thousand.
func valueTypesString(types []ValueType) string {
	const shown = 8
	var b bytes.Buffer
	for i, t := range types[:min(len(types), shown)] {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(t.String())
	}
	if len(types) > shown {
		fmt.Fprintf(&b, " and %d more", len(types)-shown)
	}
	return b.String()
}

// stream is a file's content as it is read: inflated when the file is
// gzipped, so the compressed bytes are never held in memory next to the
// inflated ones.
type stream struct {
	content io.Reader     // the content, inflated
	r       *bufio.Reader // what the decoders read: content, through a meter
	// hint is the content's size, as far as known: a bound on what to
	// allocate and to reserve up front.
	hint       int64
	gzipped    bool
	rereadable bool // a regular file, which can be read again from its start
	close      func()
}

// openStream opens f's content, refusing directories and plain files over
// the limit. A pipe or device is read as it comes.
func openStream(f *os.File, limit int64) (*stream, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, describeOpenError(err)
	}
	if st.IsDir() {
		return nil, errors.New("is a directory, not a profile")
	}
	regular := st.Mode().IsRegular()
	return openReader(f, st.Size(), regular, func(s *stream) error {
		if !s.gzipped {
			if st.Size() > limit {
				return fmt.Errorf("%w: file is %d bytes, limit is %d", ErrTooLarge, st.Size(), limit)
			}
			return nil
		}
		var trailer [4]byte
		if regular && st.Size() >= 18 {
			if _, err := f.ReadAt(trailer[:], st.Size()-4); err == nil {
				s.hint = sizeHint(int64(binary.LittleEndian.Uint32(trailer[:])), st.Size(), limit)
			}
		}
		return nil
	})
}

// openReader opens the content of r, inflating it when it starts with the
// gzip magic number. size is r's size as far as known (0 if not); check, if
// not nil, vets the stream and may refine its hint.
func openReader(r io.Reader, size int64, rereadable bool, check func(*stream) error) (*stream, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	s := &stream{content: br, hint: size, rereadable: rereadable, close: func() {}}
	if magic, _ := br.Peek(2); isGzip(magic) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, gzipError(err)
		}
		s.content, s.gzipped, s.close, s.hint = zr, true, func() { zr.Close() }, 0
	}
	if check != nil {
		if err := check(s); err != nil {
			s.close()
			return nil, err
		}
	}
	return s, nil
}

// readAll reads the rest of the stream into memory. hint, the size
// expected, pre-sizes the buffer; past it, the buffer grows by doubling. The
// meter under s.r has counted every byte against the limit before it is
// stored.
func (s *stream) readAll(hint int64) ([]byte, error) {
	buf := make([]byte, 0, max(hint+1, 512)) // +1: EOF is found without growing
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := s.r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case errors.Is(err, io.EOF):
			return buf, nil
		case err != nil && s.gzipped:
			return nil, gzipError(err)
		case err != nil:
			return nil, fmt.Errorf("read: %w", describeOpenError(err))
		}
	}
}

// describeOpenError turns *fs.PathError into a message without the path
// repeated (the caller names the file once).
func describeOpenError(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errors.New("no such file")
	case errors.Is(err, fs.ErrPermission):
		return errors.New("permission denied")
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		if pe.Err.Error() == "is a directory" {
			return errors.New("is a directory, not a profile")
		}
		return pe.Err
	}
	return err
}

// isGzip reports whether data starts with the gzip magic number.
func isGzip(data []byte) bool {
	return len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b
}

// sizeHint bounds the uncompressed size a gzip stream records in its trailer
// (isize) by the limit and by the largest ratio deflate can reach for the
// compressed size, so a forged trailer cannot make us allocate much.
func sizeHint(isize, compressed, limit int64) int64 {
	if maxRatio := compressed * 1032; isize > maxRatio {
		isize = maxRatio
	}
	if isize > limit {
		isize = limit
	}
	return isize
}

func gzipError(err error) error {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return ErrTruncated
	default:
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
}
