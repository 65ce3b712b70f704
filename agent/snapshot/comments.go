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

// AddComments copies the gzipped pprof profile read from src to dst with the
// given comments appended to the profile's Comments field, where pprof
// ("pprof -comments") and heapdiff show them.
//
// It needs no protobuf library: it walks the top-level fields of the profile
// as they stream through, counting string-table entries, then appends the new
// strings and the comment fields that point at them. Protobuf decoders treat
// repeated fields appended at the end exactly like fields written in place.
func AddComments(dst io.Writer, src io.Reader, comments []string) error {
	zr, err := gzip.NewReader(src)
	if err != nil {
		return fmt.Errorf("add comments: profile is not gzipped: %w", err)
	}
	defer zr.Close()
	zw := gzip.NewWriter(dst)
	bw := bufio.NewWriter(zw)
	strs, err := copyFields(bw, bufio.NewReader(zr))
	if err != nil {
		return fmt.Errorf("add comments: %w", err)
	}
	if strs == 0 {
		// A valid profile's string table starts with "".
		bw.Write(appendString(nil, ""))
		strs = 1
	}
	var tail []byte
	for _, c := range comments {
		tail = appendString(tail, c)
	}
	for i := range comments {
		tail = binary.AppendUvarint(tail, fieldComment<<3|wireVarint)
		tail = binary.AppendUvarint(tail, uint64(strs+i))
	}
	if _, err := bw.Write(tail); err != nil {
		return fmt.Errorf("add comments: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("add comments: %w", err)
	}
	if err := zw.Close(); err != nil {
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
		if _, err := io.CopyN(w, r, n); err != nil {
			return strs, fmt.Errorf("read profile: %w", unexpected(err))
		}
	}
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

// ParseComment splits a comment written by [Comment] into key and value. It
// reports false for comments heapdiff did not write.
func ParseComment(c string) (key, value string, ok bool) {
	rest, ok := strings.CutPrefix(c, CommentPrefix)
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, "=")
}
