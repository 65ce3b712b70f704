package snapshot

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Field numbers of the pprof Profile message (google/pprof proto/profile.proto).
const (
	fieldStringTable = 6  // repeated string string_table
	fieldComment     = 13 // repeated int64 comment: indices into string_table
)

// Wire types of the protobuf encoding.
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5
)

// maxProfileField bounds one length-delimited field, so a corrupt length cannot
// make us copy forever.
const maxProfileField = 1 << 30

// A commenter copies a gzipped pprof profile with comments appended to the
// profile's Comments field, where pprof ("pprof -comments") and heapdiff show
// them.
//
// It needs no protobuf library: it walks the top-level fields of the profile
// as they stream through, counting string-table entries, then appends the new
// strings and the comment fields that point at them. Protobuf decoders treat
// repeated fields appended at the end exactly like fields written in place.
//
// It keeps its gzip reader and writer (about 850 KiB together), buffers and
// scratch space from one profile to the next, so that annotating many
// profiles allocates almost nothing after the first. This matters inside a
// service: every byte the capture agent allocates shows up in the service's
// own allocation profile. The zero value is ready to use; a commenter is not
// safe for concurrent use.
type commenter struct {
	zr   *gzip.Reader
	zw   *gzip.Writer
	br   *bufio.Reader
	bw   *bufio.Writer
	tail []byte
}

// addComments copies the gzipped profile read from src to dst with comments
// appended.
func (c *commenter) addComments(dst io.Writer, src io.Reader, comments []string) error {
	if c.zr == nil {
		zr, err := gzip.NewReader(src)
		if err != nil {
			return fmt.Errorf("add comments: profile is not gzipped: %w", err)
		}
		c.zr = zr
	} else if err := c.zr.Reset(src); err != nil {
		return fmt.Errorf("add comments: profile is not gzipped: %w", err)
	}
	defer c.zr.Close()
	if c.zw == nil {
		c.zw = gzip.NewWriter(dst)
		c.br = bufio.NewReader(c.zr)
		c.bw = bufio.NewWriter(c.zw)
	} else {
		c.zw.Reset(dst)
		c.br.Reset(c.zr)
		c.bw.Reset(c.zw)
	}
	bw := c.bw
	strs, err := copyFields(bw, c.br)
	if err != nil {
		return fmt.Errorf("add comments: %w", err)
	}
	tail := c.tail[:0]
	if strs == 0 {
		// A valid profile's string table starts with "".
		tail = appendString(tail, "")
		strs = 1
	}
	for _, s := range comments {
		tail = appendString(tail, s)
	}
	for i := range comments {
		tail = binary.AppendUvarint(tail, fieldComment<<3|wireVarint)
		tail = binary.AppendUvarint(tail, uint64(strs+i))
	}
	c.tail = tail
	if _, err := bw.Write(tail); err != nil {
		return fmt.Errorf("add comments: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("add comments: %w", err)
	}
	if err := c.zw.Close(); err != nil {
		return fmt.Errorf("add comments: %w", err)
	}
	return nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, fieldStringTable<<3|wireBytes)
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// copyFields copies the top-level protobuf fields from r to w and returns how
// many string-table entries it saw.
func copyFields(w *bufio.Writer, r *bufio.Reader) (strs int, err error) {
	var buf [binary.MaxVarintLen64]byte
	for {
		key, err := binary.ReadUvarint(r)
		if err == io.EOF {
			return strs, nil
		}
		if err != nil {
			return strs, fmt.Errorf("read profile: %w", err)
		}
		w.Write(binary.AppendUvarint(buf[:0], key))
		var n int64
		switch key & 7 {
		case wireVarint:
			v, err := binary.ReadUvarint(r)
			if err != nil {
				return strs, fmt.Errorf("read profile: %w", unexpected(err))
			}
			w.Write(binary.AppendUvarint(buf[:0], v))
			continue
		case wireFixed64:
			n = 8
		case wireFixed32:
			n = 4
		case wireBytes:
			l, err := binary.ReadUvarint(r)
			if err != nil {
				return strs, fmt.Errorf("read profile: %w", unexpected(err))
			}
			if l > maxProfileField {
				return strs, fmt.Errorf("read profile: field of %d bytes: not a pprof profile", l)
			}
			w.Write(binary.AppendUvarint(buf[:0], l))
			n = int64(l)
			if key>>3 == fieldStringTable {
				strs++
			}
		default:
			return strs, fmt.Errorf("read profile: wire type %d: not a pprof profile", key&7)
		}
		if err := copyN(w, r, n); err != nil {
			return strs, fmt.Errorf("read profile: %w", unexpected(err))
		}
	}
}

// copyN copies n bytes from r to w through r's own buffer: unlike io.CopyN,
// it allocates nothing, and a profile has thousands of fields.
func copyN(w *bufio.Writer, r *bufio.Reader, n int64) error {
	for n > 0 {
		b, err := r.Peek(int(min(n, int64(r.Size()))))
		if len(b) > 0 {
			if _, werr := w.Write(b); werr != nil {
				return werr
			}
			r.Discard(len(b))
			n -= int64(len(b))
		}
		if err != nil && n > 0 {
			return err
		}
	}
	return nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// CommentPrefix starts the key of every comment heapdiff writes into a
// profile, so they can be told from comments other tools add.
const CommentPrefix = "heapdiff."

// Comment formats one metadata comment, "heapdiff.<key>=<value>", for example
// "heapdiff.trigger=signal". Values in bytes are plain integers.
func Comment(key, value string) string { return CommentPrefix + key + "=" + value }

// A Field is one comment of a profile, as [ParseComments] reads it.
type Field struct {
	Text string // the comment as written
	// Key and Value split a "key=value" comment at its first '=', after
	// [CommentPrefix] when it has one. Key is "" for a comment that is not
	// such a pair: no '=', or a key that is empty or holds a space or tab.
	Key, Value string
	// Heapdiff reports a pair heapdiff wrote ("heapdiff.key=value", made by
	// [Comment]) rather than another producer ("pid=42").
	Heapdiff bool
}

// Meta is a profile's comments, each parsed, in the order written.
type Meta []Field

// ParseComments reads the metadata in a profile's comments: heapdiff's own
// "heapdiff.key=value" pairs, the "key=value" pairs other producers write,
// and free text. It is the one reader of the format [Comment] writes, for
// the agent, "heapdiff capture" and whatever shows or judges their
// snapshots.
func ParseComments(comments []string) Meta {
	m := make(Meta, len(comments))
	for i, c := range comments {
		rest, own := strings.CutPrefix(c, CommentPrefix)
		m[i].Text = c
		key, value, ok := strings.Cut(rest, "=")
		if !ok || key == "" || strings.ContainsAny(key, " \t") {
			continue
		}
		m[i].Key, m[i].Value, m[i].Heapdiff = key, value, own
	}
	return m
}

// Get returns the value of the first pair with the given key, whoever
// wrote it, and "" when there is none.
func (m Meta) Get(key string) string {
	v, _ := m.Lookup(key)
	return v
}

// Lookup returns the value of the first pair with the given key, whoever
// wrote it, and reports whether there is one (its value may be empty).
func (m Meta) Lookup(key string) (value string, ok bool) {
	if key == "" {
		return "", false
	}
	for _, f := range m {
		if f.Key == key {
			return f.Value, true
		}
	}
	return "", false
}
