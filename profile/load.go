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
)

// Options control loading. The zero value is ready to use.
type Options struct {
	// MaxSize limits the decompressed size of a profile in bytes;
	// 0 means DefaultMaxSize.
	MaxSize int64
	// Stdin is read when the name is "-"; nil means os.Stdin.
	Stdin io.Reader
	// AllocationStacks groups the objects of V8 heap snapshots taken with
	// allocation tracking (node --track-heap-objects) by the stack that
	// allocated them, instead of by class.
	AllocationStacks bool
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
func Load(path string, opts Options) (*Profile, error) {
	p, err := load(path, opts)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", printable(path), err)
	}
	p.makePrintable()
	return p, nil
}

func load(path string, opts Options) (*Profile, error) {
	if path == "-" {
		in := opts.Stdin
		if in == nil {
			in = os.Stdin
		}
		data, err := readLimited(in, opts.maxSize())
		if err != nil {
			return nil, err
		}
		return parse(path, data, opts)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, describeOpenError(err)
	}
	defer f.Close()
	in, err := openStream(f, opts.maxSize())
	if err != nil {
		return nil, err
	}
	defer in.close()
	// One look at the start of the (inflated) stream decides: a heap
	// snapshot is decoded as it streams in, anything else is read whole.
	if head, _ := in.r.Peek(512); looksLikeV8JSON(head) == FormatV8Snapshot {
		return loadV8Snapshot(path, in, opts)
	}
	data, err := in.readAll(opts.maxSize())
	if err != nil {
		return nil, err
	}
	return parse(path, data, opts)
}

// LoadAll loads several profiles concurrently, one goroutine per file, and
// returns them in the order given. It returns the first error in that order.
func LoadAll(paths []string, opts Options) ([]*Profile, error) {
	profiles := make([]*Profile, len(paths))
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	for i, path := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			profiles[i], errs[i] = Load(path, opts)
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
func Parse(name string, data []byte, opts Options) (*Profile, error) {
	p, err := parse(name, data, opts)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", printable(name), err)
	}
	p.makePrintable()
	return p, nil
}

func parse(name string, data []byte, opts Options) (*Profile, error) {
	if len(data) == 0 {
		return nil, ErrEmpty
	}
	data, err := decompress(data, opts.maxSize())
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: the gzip stream holds no data", ErrEmpty)
	}
	p, err := decodeV8(data, opts)
	if p == nil && err == nil {
		p, err = decode(data)
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

// checkSampleTypes refuses a profile without sample types, one that counts no
// bytes, and one with two sample types of the same name: everything after
// loading finds a sample type by name, so a second "space" would be compared
// against the first one's values, or against none.
func checkSampleTypes(p *Profile) error {
	if len(p.SampleTypes) == 0 {
		return ErrNoSampleTypes
	}
	for i, t := range p.SampleTypes {
		for _, u := range p.SampleTypes[:i] {
			if u.Type == t.Type {
				return fmt.Errorf("%w: sample type %q appears twice (%s); each needs its own name", ErrMalformed, t.Type, printable(valueTypesString(p.SampleTypes)))
			}
		}
	}
	if !p.IsMemory() {
		return fmt.Errorf("%w: its sample types are %s (a heap profile counts bytes, e.g. inuse_space/bytes)", ErrNotMemory, valueTypesString(p.SampleTypes))
	}
	return nil
}

func valueTypesString(types []ValueType) string {
	var b bytes.Buffer
	for i, t := range types {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(t.String())
	}
	return b.String()
}

// stream is a file's content as it is read: inflated when the file is
// gzipped, so the compressed bytes are never held in memory next to the
// inflated ones.
type stream struct {
	r       *bufio.Reader
	hint    int64 // the content's size, as far as known: a bound on what to allocate
	gzipped bool
	close   func()
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
	s := &stream{r: bufio.NewReaderSize(f, 256<<10), hint: st.Size(), close: func() {}}
	if magic, _ := s.r.Peek(2); isGzip(magic) {
		zr, err := gzip.NewReader(s.r)
		if err != nil {
			return nil, gzipError(err)
		}
		s.r, s.gzipped, s.close, s.hint = bufio.NewReaderSize(zr, 256<<10), true, func() { zr.Close() }, 0
		var trailer [4]byte
		if st.Mode().IsRegular() && st.Size() >= 18 {
			if _, err := f.ReadAt(trailer[:], st.Size()-4); err == nil {
				s.hint = sizeHint(int64(binary.LittleEndian.Uint32(trailer[:])), st.Size(), limit)
			}
		}
		return s, nil
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%w: file is %d bytes, limit is %d", ErrTooLarge, st.Size(), limit)
	}
	return s, nil
}

// readAll reads the rest of the stream, refusing more than limit bytes.
func (s *stream) readAll(limit int64) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(int(min(s.hint, limit) + 1))
	n, err := io.Copy(&out, io.LimitReader(s.r, limit+1))
	switch {
	case err != nil && s.gzipped:
		return nil, gzipError(err)
	case err != nil:
		return nil, fmt.Errorf("read: %w", describeOpenError(err))
	case n > limit:
		return nil, fmt.Errorf("%w of %d bytes", ErrTooLarge, limit)
	}
	return out.Bytes(), nil
}

func readLimited(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w of %d bytes", ErrTooLarge, limit)
	}
	return data, nil
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

// decompress inflates gzipped data (possibly several concatenated members),
// refusing to produce more than limit bytes. Plain data is returned as is.
func decompress(data []byte, limit int64) ([]byte, error) {
	if !isGzip(data) {
		if int64(len(data)) > limit {
			return nil, fmt.Errorf("%w of %d bytes", ErrTooLarge, limit)
		}
		return data, nil
	}
	var hint int64
	if len(data) >= 18 {
		hint = sizeHint(int64(binary.LittleEndian.Uint32(data[len(data)-4:])), int64(len(data)), limit)
	}
	return inflate(bytes.NewReader(data), hint, limit)
}

// inflate decompresses a gzip stream into memory, refusing to produce more
// than limit bytes. hint pre-sizes the buffer.
func inflate(r io.Reader, hint, limit int64) ([]byte, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, gzipError(err)
	}
	defer zr.Close()
	var out bytes.Buffer
	out.Grow(int(hint))
	n, err := io.Copy(&out, io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, gzipError(err)
	}
	if n > limit {
		return nil, fmt.Errorf("%w of %d bytes", ErrTooLarge, limit)
	}
	return out.Bytes(), nil
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
	return isize + 1
}

func gzipError(err error) error {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return ErrTruncated
	default:
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
}
