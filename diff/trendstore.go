package diff

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// SpillFile is where a TrendBuilder keeps the snapshots' values that do
// not fit its memory budget (TrendOptions.Spill): it writes each snapshot's
// values once, at offsets of its choosing, reads them back in Trend, and
// closes the file in Close. An *os.File is one.
type SpillFile interface {
	io.ReaderAt
	io.WriterAt
	io.Closer
}

// ErrSpill is wrapped by the errors of a trend's spill (TrendOptions.Spill):
// it could not be made, written or read back. They say nothing of the
// profiles.
var ErrSpill = errors.New("trend spill")

// DefaultSpillAfter is how many bytes of the snapshots' values a
// TrendBuilder with a spill (TrendOptions.Spill) holds in memory before it
// writes them there: 24 bytes per group per snapshot, so 32 MiB holds
// about 15 snapshots of 90,000 groups.
const DefaultSpillAfter = 32 << 20

// recordSize is the size of one group's record in a snapshot's column:
// its value, its variance and its cumulative allocations, 8 bytes each.
const recordSize = 24

// putRecord writes a group's record at the start of b.
func putRecord(b []byte, value int64, variance float64, alloc int64) {
	binary.LittleEndian.PutUint64(b, uint64(value))
	binary.LittleEndian.PutUint64(b[8:], math.Float64bits(variance))
	binary.LittleEndian.PutUint64(b[16:], uint64(alloc))
}

// record reads the group's record at the start of b.
func record(b []byte) (value int64, variance float64, alloc int64) {
	return int64(binary.LittleEndian.Uint64(b)), math.Float64frombits(binary.LittleEndian.Uint64(b[8:])),
		int64(binary.LittleEndian.Uint64(b[16:]))
}

// valueStore holds a trend's values as columns, one per snapshot in the
// order added, each a record (see recordSize) for every group known when
// its snapshot was added: a group first seen later is 0 in the earlier
// columns, which do not hold it. Columns stay in memory until they pass
// spillAfter bytes; then, when the store has a spill, they are written
// there and their memory reused, so what the store holds in memory is
// bounded by spillAfter and one column, however many snapshots come.
// Writing and reading a column whole, or a run of its records, keeps the
// spill's reads and writes few and large.
type valueStore struct {
	open       func() (SpillFile, error) // nil: everything stays in memory
	spillAfter int64
	file       SpillFile
	end        int64 // the bytes written to file
	held       int64 // the bytes of the columns in memory
	cols       []storedColumn
	free       [][]byte // memory of spilled columns, for the next ones
	groups     int      // the most records a column holds
	err        error    // the spill's first failure, which every later call returns
}

// storedColumn is one snapshot's column: in memory (data), or once spilled
// at offset at of the spill.
type storedColumn struct {
	groups int
	data   []byte
	at     int64
}

func newValueStore(open func() (SpillFile, error), spillAfter int64) *valueStore {
	if spillAfter <= 0 {
		spillAfter = DefaultSpillAfter
	}
	return &valueStore{open: open, spillAfter: spillAfter}
}

// column returns memory for a column of groups records, which the caller
// fills with putRecord and hands to add.
func (s *valueStore) column(groups int) []byte {
	size := groups * recordSize
	for len(s.free) > 0 {
		b := s.free[len(s.free)-1]
		s.free = s.free[:len(s.free)-1]
		if cap(b) >= size {
			return b[:size]
		}
	}
	return make([]byte, size)
}

// add appends a column made by column, and spills the columns in memory
// once they pass the budget.
func (s *valueStore) add(data []byte) error {
	if s.err != nil {
		return s.err
	}
	groups := len(data) / recordSize
	s.cols = append(s.cols, storedColumn{groups: groups, data: data})
	s.groups = max(s.groups, groups)
	s.held += int64(len(data))
	if s.open == nil || s.held <= s.spillAfter {
		return nil
	}
	if err := s.spill(); err != nil {
		s.err = fmt.Errorf("%w: %w", ErrSpill, err)
		return s.err
	}
	return nil
}

// spill writes every column held in memory to the spill, opening it the
// first time.
func (s *valueStore) spill() error {
	if s.file == nil {
		f, err := s.open()
		if err != nil {
			return fmt.Errorf("making it: %w", err)
		}
		if f == nil {
			return errors.New("the spill function returned no file")
		}
		s.file = f
	}
	for i := range s.cols {
		c := &s.cols[i]
		if c.data == nil {
			continue
		}
		if _, err := s.file.WriteAt(c.data, s.end); err != nil {
			return fmt.Errorf("writing %d bytes at %d: %w", len(c.data), s.end, err)
		}
		c.at = s.end
		s.end += int64(len(c.data))
		s.held -= int64(len(c.data))
		s.free = append(s.free, c.data)
		c.data = nil
	}
	return nil
}

// records returns the records of groups lo to hi-1 in column c that it
// holds, from memory or read into buf (which must have room for them); a
// column made before group lo was seen holds none, and fewer than hi-lo
// means the others are 0. The result is valid until buf is reused or the
// next add.
func (s *valueStore) records(c, lo, hi int, buf []byte) ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	col := &s.cols[c]
	hi = min(hi, col.groups)
	if lo >= hi {
		return nil, nil
	}
	if col.data != nil {
		return col.data[lo*recordSize : hi*recordSize], nil
	}
	b := buf[:(hi-lo)*recordSize]
	n, err := s.file.ReadAt(b, col.at+int64(lo*recordSize))
	if n == len(b) {
		return b, nil // a ReaderAt may give io.EOF with the last byte
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return nil, fmt.Errorf("%w: reading back %d bytes at %d: %w", ErrSpill, len(b), col.at+int64(lo*recordSize), err)
}

// close closes the spill, if one was opened. The store holds nothing after.
func (s *valueStore) close() error {
	s.cols, s.free, s.held = nil, nil, 0
	if s.err == nil {
		s.err = errors.New("the trend builder is closed")
	}
	if s.file == nil {
		return nil
	}
	f := s.file
	s.file = nil
	if err := f.Close(); err != nil {
		return fmt.Errorf("%w: closing it: %w", ErrSpill, err)
	}
	return nil
}
