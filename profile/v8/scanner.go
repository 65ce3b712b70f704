package v8

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonScanner is a small streaming JSON reader made for V8's JSON formats: it
// reads huge arrays of non-negative integers straight into the caller's typed
// slices and skips what the caller does not want, without building a tree.
//
// encoding/json's Decoder.Token allocates an interface value per number and
// reads a 200 MB heap snapshot at well under 100 MB/s; the libraries that are
// fast (fastjson, jsonparser, sonic) want the whole document in memory. A
// snapshot is forty million small integers and a table of strings, so a
// scanner over one reusable buffer is both the fastest and the smallest tool.
type jsonScanner struct {
	r        io.Reader
	buf      []byte
	pos, end int
	eof      bool
	read     int64 // bytes read from r so far
	err      error // the first read error, other than io.EOF
}

const scanBufSize = 1 << 20

// newBytesScanner scans data in place, without copying it.
func newBytesScanner(data []byte) *jsonScanner {
	return &jsonScanner{buf: data, end: len(data), eof: true, read: int64(len(data))}
}

// newReaderScanner scans r through a 1 MiB buffer. It reads r to its end, or
// to its first error: the caller bounds what r may hold.
func newReaderScanner(r io.Reader) *jsonScanner {
	return &jsonScanner{r: r, buf: make([]byte, scanBufSize)}
}

// offset returns the position of the next unread byte in the input.
func (s *jsonScanner) offset() int64 { return s.read - int64(s.end-s.pos) }

// fill moves the unread bytes to the front of the buffer and reads more. It
// reports whether any byte was added.
func (s *jsonScanner) fill() bool {
	if s.eof {
		return false
	}
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:s.end])
		s.pos, s.end = 0, n
	}
	for s.end < len(s.buf) {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		s.read += int64(n)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.err = err
			}
			s.eof = true
			break
		}
		if n > 0 {
			break
		}
	}
	return s.pos < s.end
}

// ensure reads until n bytes are unread in the buffer, or the input ends. A
// reader may return fewer bytes than asked (a gzip stream does at its
// blocks' ends), so one fill does not make sure that a number or an escape
// is whole.
func (s *jsonScanner) ensure(n int) {
	for s.end-s.pos < n && s.fill() {
	}
}

// syntaxError describes malformed input at the current offset, or the read
// error that ended the input early.
func (s *jsonScanner) syntaxError(format string, args ...any) error {
	if s.err != nil {
		return fmt.Errorf("read: %w", s.err)
	}
	return fmt.Errorf("%w: offset %d: %s", ErrMalformed, s.offset(), fmt.Sprintf(format, args...))
}

// skipWS skips white space and returns the next byte without consuming it,
// or 0 at the end of the input.
func (s *jsonScanner) skipWS() byte {
	for {
		for s.pos < s.end {
			switch c := s.buf[s.pos]; c {
			case ' ', '\n', '\r', '\t':
				s.pos++
			default:
				return c
			}
		}
		if !s.fill() {
			return 0
		}
	}
}

// expect consumes the byte c after optional white space.
func (s *jsonScanner) expect(c byte) error {
	got := s.skipWS()
	if got != c {
		if got == 0 {
			return s.syntaxError("unexpected end of input, want %q", c)
		}
		return s.syntaxError("found %q, want %q", got, c)
	}
	s.pos++
	return nil
}

// uint reads a non-negative integer.
func (s *jsonScanner) uint() (uint64, error) {
	if s.skipWS() == 0 {
		return 0, s.syntaxError("unexpected end of input, want a number")
	}
	// The longest number (20 digits) and what follows it.
	s.ensure(24)
	var v uint64
	start := s.pos
	buf := s.buf[:s.end]
	i := s.pos
	for ; i < len(buf); i++ {
		d := buf[i] - '0'
		if d > 9 {
			break
		}
		if v > (1<<64-1-uint64(d))/10 {
			return 0, s.syntaxError("number too large")
		}
		v = v*10 + uint64(d)
	}
	if i == start || i-start > 20 {
		if buf[start] == '-' {
			return 0, s.syntaxError("negative number where a count or index belongs")
		}
		return 0, s.syntaxError("found %q, want a non-negative integer", buf[start])
	}
	if i == len(buf) {
		// The buffer holds 24 bytes past the number's start unless the
		// input ended: it ended inside the number, whose digits so far
		// are not its value.
		return 0, s.syntaxError("unexpected end of input in a number")
	}
	switch buf[i] {
	case '.', 'e', 'E':
		return 0, s.syntaxError("found a fraction where an integer belongs")
	}
	s.pos = i
	return v, nil
}

// int reads an integer, which may be negative.
func (s *jsonScanner) int() (int64, error) {
	if s.skipWS() == '-' {
		s.pos++
		s.ensure(1)
		if s.pos == s.end {
			return 0, s.syntaxError("unexpected end of input in a number")
		}
		if s.buf[s.pos] < '0' || s.buf[s.pos] > '9' {
			return 0, s.syntaxError("a minus sign without a number")
		}
		v, err := s.uint()
		if err != nil {
			return 0, err
		}
		if v > 1<<63 {
			return 0, s.syntaxError("number too small")
		}
		return -int64(v), nil
	}
	v, err := s.uint()
	if err != nil {
		return 0, err
	}
	if v > math.MaxInt64 {
		return 0, s.syntaxError("number too large")
	}
	return int64(v), nil
}

// null consumes a null, reporting whether there was one.
func (s *jsonScanner) null() bool {
	if s.skipWS() != 'n' {
		return false
	}
	s.ensure(4)
	if s.end-s.pos >= 4 && string(s.buf[s.pos:s.pos+4]) == "null" {
		s.pos += 4
		return true
	}
	return false
}

// nullableStr reads a string, or a null as "".
func (s *jsonScanner) nullableStr() (string, error) {
	if s.null() {
		return "", nil
	}
	return s.str(true)
}

// uints reads an array of non-negative integers, calling fn with each.
func (s *jsonScanner) uints(fn func(uint64) error) error {
	return s.array(func(int) error {
		v, err := s.uint()
		if err != nil {
			return err
		}
		return fn(v)
	})
}

// key reads an object's key. The keys of V8's formats are returned without
// allocating (a sampling heap profile has four a node); others are read as
// by str.
func (s *jsonScanner) key() (string, error) {
	if s.skipWS() == '"' {
		s.ensure(32)
		buf := s.buf[s.pos+1 : s.end]
		if i := bytes.IndexByte(buf[:min(len(buf), 32)], '"'); i >= 0 {
			if k, ok := knownKey(buf[:i]); ok {
				s.pos += i + 2
				return k, nil
			}
		}
	}
	return s.str(true)
}

// knownKey returns the key b spells when it is one V8's formats use. A
// switch on string(b) does not allocate.
func knownKey(b []byte) (string, bool) {
	switch string(b) {
	case "head":
		return "head", true
	case "samples":
		return "samples", true
	case "callFrame":
		return "callFrame", true
	case "functionName":
		return "functionName", true
	case "scriptId":
		return "scriptId", true
	case "url":
		return "url", true
	case "lineNumber":
		return "lineNumber", true
	case "columnNumber":
		return "columnNumber", true
	case "selfSize":
		return "selfSize", true
	case "id":
		return "id", true
	case "children":
		return "children", true
	case "size":
		return "size", true
	case "nodeId":
		return "nodeId", true
	case "ordinal":
		return "ordinal", true
	}
	return "", false
}

// str reads a string. With keep false it only skips it and returns "".
func (s *jsonScanner) str(keep bool) (string, error) {
	if err := s.expect('"'); err != nil {
		return "", err
	}
	// Most strings have no escapes and lie in the buffer: one copy.
	if keep {
		buf := s.buf[s.pos:s.end]
		for i, c := range buf {
			if c == '"' {
				str := string(buf[:i])
				s.pos += i + 1
				return str, nil
			}
			if c == '\\' {
				break
			}
		}
	}
	var out []byte
	for {
		// Copy or skip the plain run up to a quote or backslash.
		i := s.pos
		buf := s.buf[:s.end]
		for i < len(buf) && buf[i] != '"' && buf[i] != '\\' {
			i++
		}
		if keep {
			out = append(out, buf[s.pos:i]...)
		}
		s.pos = i
		if i == len(buf) {
			if !s.fill() {
				return "", s.syntaxError("unexpected end of input in a string")
			}
			continue
		}
		if buf[i] == '"' {
			s.pos++
			return string(out), nil
		}
		// A backslash: make sure the whole escape is in the buffer.
		s.ensure(12)
		r, n, err := s.escape()
		if err != nil {
			return "", err
		}
		s.pos += n
		if keep {
			out = utf8.AppendRune(out, r)
		}
	}
}

// escape decodes the escape sequence at s.pos (a backslash), returning the
// rune and the bytes it took. UTF-16 surrogate pairs are joined.
func (s *jsonScanner) escape() (rune, int, error) {
	b := s.buf[s.pos:s.end]
	if len(b) < 2 {
		return 0, 0, s.syntaxError("unexpected end of input in a string escape")
	}
	switch b[1] {
	case '"', '\\', '/':
		return rune(b[1]), 2, nil
	case 'b':
		return '\b', 2, nil
	case 'f':
		return '\f', 2, nil
	case 'n':
		return '\n', 2, nil
	case 'r':
		return '\r', 2, nil
	case 't':
		return '\t', 2, nil
	case 'u':
		if len(b) < 6 {
			return 0, 0, s.syntaxError("unexpected end of input in a string escape")
		}
		r, ok := hex4(b[2:])
		if !ok {
			return 0, 0, s.syntaxError("invalid \\u escape")
		}
		if utf16.IsSurrogate(r) {
			if len(b) >= 12 && b[6] == '\\' && b[7] == 'u' {
				if r2, ok := hex4(b[8:]); ok {
					if c := utf16.DecodeRune(r, r2); c != utf8.RuneError {
						return c, 12, nil
					}
				}
			}
			return utf8.RuneError, 6, nil
		}
		return r, 6, nil
	}
	return 0, 0, s.syntaxError("invalid escape \\%c", b[1])
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[:4]), 16, 32)
	return rune(v), err == nil
}

// skip skips one value of any kind, nested or not, without recursion.
func (s *jsonScanner) skip() error {
	depth := 0
	for {
		c := s.skipWS()
		switch {
		case c == 0:
			return s.syntaxError("unexpected end of input")
		case c == '"':
			if _, err := s.str(false); err != nil {
				return err
			}
		case c == '[' || c == '{':
			s.pos++
			depth++
			continue
		case c == ']' || c == '}':
			if depth == 0 {
				return s.syntaxError("unexpected %q", c)
			}
			s.pos++
			depth--
		case c == ',' || c == ':':
			if depth == 0 {
				return s.syntaxError("unexpected %q", c)
			}
			s.pos++
			continue
		default:
			// A number or a literal: skip to the next delimiter.
			n := 0
			for {
				for s.pos < s.end && !isDelimiter(s.buf[s.pos]) {
					s.pos++
					n++
				}
				if s.pos < s.end || !s.fill() {
					break
				}
			}
			if n == 0 {
				return s.syntaxError("unexpected %q", c)
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

func isDelimiter(c byte) bool {
	switch c {
	case ',', ']', '}', ':', ' ', '\n', '\r', '\t', '"', '[', '{':
		return true
	}
	return false
}

// raw returns the bytes of the next value (skipped as by skip), refusing
// values longer than max.
func (s *jsonScanner) raw(max int) ([]byte, error) {
	s.skipWS()
	// Record the value by re-reading it from a copy: values asked for here
	// (the snapshot header) are small, so keep the bytes as they stream by.
	var out []byte
	start := s.pos
	depth := 0
	inStr, esc := false, false
	for {
		if s.pos >= s.end {
			out = append(out, s.buf[start:s.pos]...)
			if len(out) > max {
				return nil, s.syntaxError("value longer than %d bytes", max)
			}
			if !s.fill() {
				return nil, s.syntaxError("unexpected end of input")
			}
			start = s.pos
		}
		c := s.buf[s.pos]
		s.pos++
		switch {
		case inStr:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			depth--
		}
		if depth == 0 && !inStr && (c == ']' || c == '}' || c == '"') {
			out = append(out, s.buf[start:s.pos]...)
			if len(out) > max {
				return nil, s.syntaxError("value longer than %d bytes", max)
			}
			return out, nil
		}
		if depth < 0 {
			return nil, s.syntaxError("unexpected %q", c)
		}
	}
}

// object reads an object's members, calling fn with each key; fn must consume
// the value.
func (s *jsonScanner) object(fn func(key string) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if s.skipWS() == '}' {
		s.pos++
		return nil
	}
	for {
		key, err := s.key()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := fn(key); err != nil {
			return err
		}
		if more, err := s.separator('}', "an object member"); !more {
			return err
		}
	}
}

// separator consumes the comma after an element (more is true) or the
// closing bracket of its container.
func (s *jsonScanner) separator(closing byte, what string) (more bool, err error) {
	switch c := s.skipWS(); c {
	case ',':
		s.pos++
		return true, nil
	case closing:
		s.pos++
		return false, nil
	case 0:
		return false, s.syntaxError("unexpected end of input after %s", what)
	default:
		return false, s.syntaxError("found %q after %s", c, what)
	}
}

// array reads an array's elements, calling fn for each; fn must consume the
// element.
func (s *jsonScanner) array(fn func(i int) error) error {
	if err := s.expect('['); err != nil {
		return err
	}
	if s.skipWS() == ']' {
		s.pos++
		return nil
	}
	for i := 0; ; i++ {
		if err := fn(i); err != nil {
			return err
		}
		if more, err := s.separator(']', "an array element"); !more {
			return err
		}
	}
}
