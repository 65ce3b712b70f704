package profile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"math/bits"
	"slices"
	"time"
	"unicode/utf8"
	"unsafe"

	"google.golang.org/protobuf/encoding/protowire"
)

// decode turns decompressed bytes into a Profile: first with the lean pprof
// protobuf decoder, then, if the bytes are text and not protobuf, with the
// legacy text parsers of github.com/google/pprof/profile, under res (see
// parseLegacy).
func decode(data []byte, res *reservation) (*Profile, error) {
	if !looksLikeText(data) {
		// Nothing but protobuf: data is not needed once decodeProto is
		// done with it, which lets it drop data before the profile's last
		// tables are made (see protoDecoder.stacks).
		p, err := decodeProto(data)
		if errors.Is(err, errNotProto) {
			return nil, fmt.Errorf("%w: neither pprof protobuf nor a known text profile format", ErrNotProfile)
		}
		return p, err
	}
	p, protoErr := decodeProto(data)
	if protoErr == nil && len(p.SampleTypes) > 0 {
		return p, nil
	}
	if protoErr != nil && !errors.Is(protoErr, errNotProto) {
		return nil, protoErr // protobuf, but broken: say how
	}
	lp, legacyErr := parseLegacy(data, res)
	switch {
	case legacyErr == nil:
		return lp, nil
	case errors.Is(legacyErr, ErrTooLarge), errors.Is(legacyErr, errBusy):
		return nil, legacyErr
	case protoErr == nil:
		return p, nil
	}
	return nil, fmt.Errorf("%w: text in no known profile format (%v)", ErrNotProfile, legacyErr)
}

// looksLikeText reports whether the start of data is valid UTF-8 text without
// control characters other than white space.
func looksLikeText(data []byte) bool {
	if len(data) > 512 {
		data = data[:512]
	}
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			return len(data) < utf8.UTFMax // a rune cut at the end of the window
		}
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' {
			return false
		}
		data = data[size:]
	}
	return true
}

// errNotProto marks bytes that are not a protobuf message at all, as opposed to
// a protobuf whose contents are inconsistent (ErrMalformed).
var errNotProto = errors.New("not protobuf")

func wireError(what string, n int) error {
	return fmt.Errorf("%w: %s: %v", errNotProto, what, protowire.ParseError(n))
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Field numbers of profile.proto (github.com/google/pprof/proto/profile.proto).
const (
	fieldSampleType        = 1
	fieldSample            = 2
	fieldMapping           = 3
	fieldLocation          = 4
	fieldFunction          = 5
	fieldStringTable       = 6
	fieldTimeNanos         = 9
	fieldDurationNanos     = 10
	fieldPeriodType        = 11
	fieldPeriod            = 12
	fieldComment           = 13
	fieldDefaultSampleType = 14
)

type rawValueType struct{ typ, unit int64 }

type rawLocation struct {
	id, mappingID, address uint64
	lines                  int
}

type rawLine struct {
	functionID uint64
	line       int64
}

type rawFunction struct {
	id                 uint64
	name, file, system int64
}

type rawMapping struct {
	id      uint64
	file    int64
	buildID int64
}

// protoDecoder holds the tables of one pprof protobuf message. A table holds
// where each record starts in data (the offset of its length), not the
// record decoded: records are decoded when they are needed, so a table costs
// four bytes a record, at most twice what the smallest record (an empty one,
// two bytes) takes in the input, whatever the input holds.
type protoDecoder struct {
	data        []byte
	strings     []uint32
	sampleTypes []uint32
	samples     []uint32
	mappings    []uint32
	locations   []uint32
	functions   []uint32
	comments    []int64
	periodType  rawValueType
	period      int64
	timeNanos   int64
	duration    int64
	defaultType int64
	timeSeen    bool
	// frameBound is how many frames the locations hold: one per line, or
	// one for a location without lines. No more distinct frames can be.
	frameBound int
}

// maxSampleTypes, maxComments and maxCommentBytes bound what no producer
// comes near (Go heap profiles have 4 sample types and no comments;
// heapdiff's agent writes a handful of comments), and what every sample, the
// model or a report would pay for per byte of input: each sample holds one
// value per sample type, a comment of one byte becomes a 16-byte string
// header, and a comment of one byte may name a string of a megabyte, which
// every report prints.
const (
	maxSampleTypes  = 1024
	maxComments     = 1 << 16
	maxCommentBytes = 1 << 20
)

// decodeProto is the lean pprof decoder: one pass over the top-level fields
// collects the tables, then samples are decoded straight into merged stacks
// of interned frames. It checks what profile.CheckValid checks.
func decodeProto(data []byte) (*Profile, error) {
	if int64(len(data)) > math.MaxInt32 { // and the tables' offsets are 32 bits
		return nil, fmt.Errorf("%w: %d bytes; a pprof protobuf message is at most 2 GiB", ErrTooLarge, len(data))
	}
	d := protoDecoder{data: data}
	if err := d.scan(); err != nil {
		return nil, err
	}
	return d.build()
}

// record returns the length-delimited record at off.
func (d *protoDecoder) record(off uint32) []byte {
	v, _ := protowire.ConsumeBytes(d.data[off:]) // checked by scan
	return v
}

func (d *protoDecoder) scan() error {
	d.allocate()
	b := d.data
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return wireError("field tag", n)
		}
		b = b[n:]
		var err error
		switch {
		case typ == protowire.BytesType && num <= fieldStringTable:
			off := uint32(len(d.data) - len(b))
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return wireError("field length", n)
			}
			b = b[n:]
			err = d.message(num, off, v)
		case num == fieldComment && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return wireError("comments", n)
			}
			b = b[n:]
			d.comments, err = appendPackedInt64s(d.comments, v, maxComments-len(d.comments))
		case num == fieldPeriodType && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return wireError("period type", n)
			}
			b = b[n:]
			d.periodType, err = decodeValueType(v)
		case typ == protowire.VarintType && (num >= fieldTimeNanos && num <= fieldDefaultSampleType || num == 7 || num == 8):
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return wireError("varint field", n)
			}
			b = b[n:]
			switch num {
			case fieldTimeNanos:
				if d.timeSeen {
					return malformed("concatenated profiles: more than one time_nanos")
				}
				d.timeSeen, d.timeNanos = true, int64(v)
			case fieldDurationNanos:
				d.duration = int64(v)
			case fieldPeriod:
				d.period = int64(v)
			case fieldComment:
				if len(d.comments) == maxComments {
					return tooManyComments()
				}
				d.comments = append(d.comments, int64(v))
			case fieldDefaultSampleType:
				d.defaultType = int64(v)
			}
		case num >= fieldSampleType && num <= fieldDefaultSampleType:
			return fmt.Errorf("%w: field %d has wire type %d", errNotProto, num, typ)
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return wireError(fmt.Sprintf("field %d", num), n)
			}
			b = b[n:]
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// allocate sizes each table for the records of its kind, counted in a first
// pass over the top-level fields (which stops at the first bad one: the
// second pass reports it). A table that grew by doubling instead would cost
// up to three times as much at its peak.
func (d *protoDecoder) allocate() {
	var count [fieldStringTable + 1]int
	for b := d.data; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			break
		}
		b = b[n:]
		if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
			break
		}
		b = b[n:]
		if typ == protowire.BytesType && num <= fieldStringTable {
			count[num]++
		}
	}
	d.sampleTypes = make([]uint32, 0, min(count[fieldSampleType], maxSampleTypes))
	d.samples = make([]uint32, 0, count[fieldSample])
	d.mappings = make([]uint32, 0, count[fieldMapping])
	d.locations = make([]uint32, 0, count[fieldLocation])
	d.functions = make([]uint32, 0, count[fieldFunction])
	d.strings = make([]uint32, 0, count[fieldStringTable])
}

func tooManyComments() error {
	return malformed("more than %d comments, far more than any producer writes", maxComments)
}

// message records one length-delimited top-level field, at off. Sub-messages
// are decoded once here only to check their encoding, so that bytes which
// are not protobuf are told apart (errNotProto) from a protobuf that makes
// no sense (ErrMalformed) as soon as they are seen.
func (d *protoDecoder) message(num protowire.Number, off uint32, v []byte) error {
	var err error
	switch num {
	case fieldSampleType:
		if len(d.sampleTypes) == maxSampleTypes {
			return malformed("more than %d sample types, far more than any producer writes", maxSampleTypes)
		}
		d.sampleTypes = append(d.sampleTypes, off)
		_, err = decodeValueType(v)
	case fieldSample:
		d.samples = append(d.samples, off)
	case fieldMapping:
		d.mappings = append(d.mappings, off)
		_, err = decodeMapping(v)
	case fieldLocation:
		d.locations = append(d.locations, off)
		var loc rawLocation
		loc, err = decodeLocation(v, nil)
		d.frameBound += max(loc.lines, 1)
	case fieldFunction:
		d.functions = append(d.functions, off)
		_, err = decodeFunction(v)
	case fieldStringTable:
		d.strings = append(d.strings, off)
	}
	return err
}

// forEachField calls fn for every field of a nested message.
func forEachField(b []byte, what string, fn func(num protowire.Number, typ protowire.Type, b []byte) (int, error)) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return wireError(what, n)
		}
		b = b[n:]
		used, err := fn(num, typ, b)
		if err != nil {
			return err
		}
		if used == 0 {
			used = protowire.ConsumeFieldValue(num, typ, b)
		}
		if used < 0 {
			return wireError(what, used)
		}
		b = b[used:]
	}
	return nil
}

// varintField decodes a varint field into *dst, or reports 0 used bytes when
// the wire type is not varint (the field is then skipped).
func varintField(typ protowire.Type, b []byte, dst *uint64) int {
	if typ != protowire.VarintType {
		return 0
	}
	v, n := protowire.ConsumeVarint(b)
	if n > 0 {
		*dst = v
	}
	return n
}

func decodeValueType(b []byte) (rawValueType, error) {
	var vt rawValueType
	var typ, unit uint64
	err := forEachField(b, "value type", func(num protowire.Number, wt protowire.Type, b []byte) (int, error) {
		switch num {
		case 1:
			return varintField(wt, b, &typ), nil
		case 2:
			return varintField(wt, b, &unit), nil
		}
		return 0, nil
	})
	vt.typ, vt.unit = int64(typ), int64(unit)
	return vt, err
}

func decodeMapping(b []byte) (rawMapping, error) {
	var m rawMapping
	var file, buildID uint64
	err := forEachField(b, "mapping", func(num protowire.Number, wt protowire.Type, b []byte) (int, error) {
		switch num {
		case 1:
			return varintField(wt, b, &m.id), nil
		case 5:
			return varintField(wt, b, &file), nil
		case 6:
			return varintField(wt, b, &buildID), nil
		}
		return 0, nil
	})
	m.file, m.buildID = int64(file), int64(buildID)
	return m, err
}

func decodeFunction(b []byte) (rawFunction, error) {
	var f rawFunction
	var name, system, file uint64
	err := forEachField(b, "function", func(num protowire.Number, wt protowire.Type, b []byte) (int, error) {
		switch num {
		case 1:
			return varintField(wt, b, &f.id), nil
		case 2:
			return varintField(wt, b, &name), nil
		case 3:
			return varintField(wt, b, &system), nil
		case 4:
			return varintField(wt, b, &file), nil
		}
		return 0, nil
	})
	f.name, f.system, f.file = int64(name), int64(system), int64(file)
	return f, err
}

// decodeLocation decodes a location, calling line, if not nil, for each of
// its lines in order.
func decodeLocation(b []byte, line func(rawLine)) (rawLocation, error) {
	var loc rawLocation
	err := forEachField(b, "location", func(num protowire.Number, wt protowire.Type, b []byte) (int, error) {
		switch num {
		case 1:
			return varintField(wt, b, &loc.id), nil
		case 2:
			return varintField(wt, b, &loc.mappingID), nil
		case 3:
			return varintField(wt, b, &loc.address), nil
		case 4:
			if wt != protowire.BytesType {
				return 0, nil
			}
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return n, nil
			}
			var ln rawLine
			var lineNo uint64
			err := forEachField(v, "line", func(num protowire.Number, wt protowire.Type, b []byte) (int, error) {
				switch num {
				case 1:
					return varintField(wt, b, &ln.functionID), nil
				case 2:
					return varintField(wt, b, &lineNo), nil
				}
				return 0, nil
			})
			ln.line = int64(lineNo)
			loc.lines++
			if line != nil {
				line(ln)
			}
			return n, err
		}
		return 0, nil
	})
	return loc, err
}

// appendPackedInt64s decodes a packed repeated int64 field, refusing more
// than room values.
func appendPackedInt64s(dst []int64, b []byte, room int) ([]int64, error) {
	for len(b) > 0 {
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return dst, wireError("packed varints", n)
		}
		if room == 0 {
			return dst, tooManyComments()
		}
		room--
		dst = append(dst, int64(v))
		b = b[n:]
	}
	return dst, nil
}

// appendPackedUint64s decodes a packed repeated uint64 field.
func appendPackedUint64s(dst []uint64, b []byte) ([]uint64, error) {
	for len(b) > 0 {
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return dst, wireError("packed varints", n)
		}
		dst = append(dst, v)
		b = b[n:]
	}
	return dst, nil
}

// stringTable converts string indexes to strings, each at most once, and
// escapes them for printing as it does (see printable): a string shared by
// many frames is converted and escaped once. Only strings that are used and
// not empty are kept, so the table costs nothing for the strings a profile
// holds but never uses.
type stringTable struct {
	d    *protoDecoder
	done map[uint32]string
}

func (t *stringTable) get(i int64) (string, error) {
	if err := t.check(i); err != nil {
		return "", err
	}
	if s, ok := t.done[uint32(i)]; ok {
		return s, nil
	}
	raw := t.d.record(t.d.strings[i])
	if len(raw) == 0 {
		return "", nil
	}
	s := printable(string(raw))
	t.done[uint32(i)] = s
	return s, nil
}

// check reports an index out of the table's range.
func (t *stringTable) check(i int64) error {
	if i < 0 || i >= int64(len(t.d.strings)) {
		return malformed("string index %d out of range [0..%d)", i, len(t.d.strings))
	}
	return nil
}

// idIndex maps the IDs of a table to positions: a slice when the IDs are
// dense (as every known producer writes them), a map otherwise. Either costs
// at most a few bytes per record.
type idIndex struct {
	dense  []int32
	sparse map[uint64]int32
}

// newIDIndex indexes the n records of a table by id(i), refusing id 0 and
// an id used twice.
func newIDIndex(kind string, n int, id func(int) uint64) (idIndex, error) {
	var max uint64
	for i := 0; i < n; i++ {
		v := id(i)
		if v == 0 {
			return idIndex{}, malformed("found %s with reserved id 0", kind)
		}
		if v > max {
			max = v
		}
	}
	var x idIndex
	if max <= uint64(2*n+64) {
		x.dense = make([]int32, max+1)
		for i := range x.dense {
			x.dense[i] = -1
		}
	} else {
		x.sparse = make(map[uint64]int32, n)
	}
	for i := 0; i < n; i++ {
		v := id(i)
		if _, dup := x.get(v); dup {
			return x, malformed("multiple %ss with the same id %d", kind, v)
		}
		if x.dense != nil {
			x.dense[v] = int32(i)
		} else {
			x.sparse[v] = int32(i)
		}
	}
	return x, nil
}

func (x *idIndex) get(id uint64) (int32, bool) {
	if x.dense != nil {
		if id < uint64(len(x.dense)) && x.dense[id] >= 0 {
			return x.dense[id], true
		}
		return 0, false
	}
	i, ok := x.sparse[id]
	return i, ok
}

// build resolves the raw tables into a Profile.
func (d *protoDecoder) build() (*Profile, error) {
	if len(d.strings) == 0 {
		if len(d.sampleTypes) == 0 && len(d.samples) == 0 {
			return &Profile{Format: FormatPprof}, nil
		}
		return nil, malformed("no string table")
	}
	if len(d.record(d.strings[0])) != 0 {
		return nil, malformed("string_table[0] must be empty")
	}
	st := stringTable{d: d, done: map[uint32]string{}}
	p := &Profile{Format: FormatPprof, Period: d.period}
	var err error
	valueType := func(vt rawValueType) ValueType {
		var v ValueType
		if err == nil {
			v.Type, err = st.get(vt.typ)
		}
		if err == nil {
			v.Unit, err = st.get(vt.unit)
		}
		return v
	}
	for _, off := range d.sampleTypes {
		vt, _ := decodeValueType(d.record(off)) // checked by scan
		p.SampleTypes = append(p.SampleTypes, valueType(vt))
	}
	p.PeriodType = valueType(d.periodType)
	commentBytes := 0
	for _, c := range d.comments {
		if err == nil {
			var s string
			s, err = st.get(c)
			p.Comments = append(p.Comments, s)
			if commentBytes += len(s); commentBytes > maxCommentBytes {
				err = malformed("its comments hold more than %d bytes of text, far more than any producer writes", maxCommentBytes)
			}
		}
	}
	if err == nil && len(d.mappings) > 0 {
		// pprof's convention: the first mapping is the main binary.
		m, _ := decodeMapping(d.record(d.mappings[0])) // checked by scan
		if p.Main.File, err = st.get(m.file); err == nil {
			p.Main.BuildID, err = st.get(m.buildID)
		}
	}
	if err == nil {
		p.DefaultSampleType, err = st.get(d.defaultType)
	}
	if err != nil {
		return nil, err
	}
	if d.timeNanos != 0 {
		p.Time = time.Unix(0, d.timeNanos).UTC()
	}
	p.Duration = time.Duration(d.duration)
	if len(p.SampleTypes) == 0 {
		if len(d.samples) > 0 {
			return nil, ErrNoSampleTypes
		}
		return p, nil
	}
	// Every sample holds a value per type: refuse duplicates before the
	// samples are decoded.
	if err := checkDuplicateTypes(p.SampleTypes); err != nil {
		return nil, err
	}
	locations, err := newIDIndex("location", len(d.locations), func(i int) uint64 {
		loc, _ := decodeLocation(d.record(d.locations[i]), nil)
		return loc.id
	})
	if err != nil {
		return nil, err
	}
	locFrames, locStart, err := d.frames(p, &st)
	if err != nil {
		return nil, err
	}
	if err := d.stacks(p, locations, locFrames, locStart); err != nil {
		return nil, err
	}
	return p, nil
}

// frames interns the frames of every location. It returns them flattened:
// location i owns locFrames[locStart[i]:locStart[i+1]], innermost first.
func (d *protoDecoder) frames(p *Profile, st *stringTable) (locFrames []int32, locStart []int32, err error) {
	mappings, err := newIDIndex("mapping", len(d.mappings), func(i int) uint64 {
		m, _ := decodeMapping(d.record(d.mappings[i]))
		return m.id
	})
	if err != nil {
		return nil, nil, err
	}
	functions, err := newIDIndex("function", len(d.functions), func(i int) uint64 {
		f, _ := decodeFunction(d.record(d.functions[i]))
		return f.id
	})
	if err != nil {
		return nil, nil, err
	}
	type fn struct{ name, file string }
	fns := make([]fn, len(d.functions))
	for i, off := range d.functions {
		f, _ := decodeFunction(d.record(off))
		if fns[i].name, err = st.get(f.name); err != nil {
			return nil, nil, err
		}
		if fns[i].file, err = st.get(f.file); err != nil {
			return nil, nil, err
		}
		if err = st.check(f.system); err != nil {
			return nil, nil, err
		}
	}
	mappingFiles := make([]int64, len(d.mappings))
	for i, off := range d.mappings {
		m, _ := decodeMapping(d.record(off))
		mappingFiles[i] = m.file
	}
	// The frame table is sized once for as many frames as the locations
	// hold, but for no more than one per 6 bytes of input, the least a
	// distinct frame takes (a line of 6 bytes: its function and its line
	// number): a crafted profile may hold millions of lines that are all one
	// frame, and a table that grew instead would cost twice as much.
	add := newFrameTable(p, min(d.frameBound, len(d.data)/6)).add
	locStart = make([]int32, len(d.locations)+1)
	locFrames = make([]int32, 0, d.frameBound)
	var lineErr error
	for i, off := range d.locations {
		locStart[i] = int32(len(locFrames))
		loc, _ := decodeLocation(d.record(off), func(ln rawLine) {
			if lineErr != nil {
				return
			}
			fi, ok := functions.get(ln.functionID)
			if !ok {
				lineErr = fmt.Errorf("has a line with missing function %d", ln.functionID)
				return
			}
			locFrames = append(locFrames, add(Frame{Function: fns[fi].name, File: fns[fi].file, Line: ln.line}))
		})
		if lineErr != nil {
			return nil, nil, malformed("location %d %v", loc.id, lineErr)
		}
		if loc.lines > 0 {
			continue
		}
		f := Frame{Address: loc.address}
		if loc.mappingID != 0 {
			if m, ok := mappings.get(loc.mappingID); ok {
				if f.Module, err = st.get(mappingFiles[m]); err != nil {
					return nil, nil, err
				}
			}
		}
		locFrames = append(locFrames, add(f))
	}
	locStart[len(d.locations)] = int32(len(locFrames))
	return locFrames, locStart, nil
}

// sampleField reads the field at the start of a sample record b: its number
// and wire type, and its value (the bytes of a length-delimited field, the
// number of a varint field), and returns the bytes after it. It is
// forEachField's step, without a call through a function value per field:
// every sample of a profile goes through it, twice.
func sampleField(b []byte) (num protowire.Number, typ protowire.Type, v []byte, x uint64, rest []byte, err error) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return 0, 0, nil, 0, nil, wireError("sample", n)
	}
	b = b[n:]
	switch typ {
	case protowire.BytesType:
		v, n = protowire.ConsumeBytes(b)
	case protowire.VarintType:
		x, n = protowire.ConsumeVarint(b)
	default:
		n = protowire.ConsumeFieldValue(num, typ, b)
	}
	if n < 0 {
		return 0, 0, nil, 0, nil, wireError("sample", n)
	}
	return num, typ, v, x, b[n:], nil
}

// Field numbers of a sample (profile.proto).
const (
	fieldSampleLocation = 1
	fieldSampleValue    = 2
)

// readSample decodes a sample record's location ids and values into ids and
// values, which it empties first.
func readSample(b []byte, ids []uint64, values []int64) ([]uint64, []int64, error) {
	ids, values = ids[:0], values[:0]
	for len(b) > 0 {
		num, typ, v, x, rest, err := sampleField(b)
		if err != nil {
			return ids, values, err
		}
		b = rest
		switch {
		case num == fieldSampleLocation && typ == protowire.BytesType:
			ids, err = appendPackedUint64s(ids, v)
		case num == fieldSampleLocation && typ == protowire.VarintType:
			ids = append(ids, x)
		case num == fieldSampleValue && typ == protowire.BytesType:
			values, err = appendPackedInt64s(values, v, math.MaxInt)
		case num == fieldSampleValue && typ == protowire.VarintType:
			values = append(values, int64(x))
		}
		if err != nil {
			return ids, values, err
		}
	}
	return ids, values, nil
}

// countVarints counts the varints of a packed field by their last bytes,
// those under 0x80, eight bytes at a time, without decoding them. A field
// whose last varint is cut is refused as decoding it would be; a varint
// longer than ten bytes is counted as one, and refused when it is decoded.
func countVarints(b []byte) (int, error) {
	if len(b) > 0 && b[len(b)-1] >= 0x80 {
		for len(b) > 0 { // find the error decoding gives
			_, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return 0, wireError("packed varints", n)
			}
			b = b[n:]
		}
	}
	n := 0
	for ; len(b) >= 8; b = b[8:] {
		n += 8 - bits.OnesCount64(binary.LittleEndian.Uint64(b)&0x8080808080808080)
	}
	for _, c := range b {
		if c < 0x80 {
			n++
		}
	}
	return n, nil
}

// countIDs checks every sample as far as it can be without looking its
// locations up (its encoding and its number of values), and returns how
// many location ids the samples hold in all, counted without decoding them.
// When every location is one frame, as in Go's profiles unless calls were
// inlined, that is how many frames the stacks hold.
func (d *protoDecoder) countIDs(nTypes int) (int, error) {
	total := 0
	for _, off := range d.samples {
		b := d.record(off)
		ids, values := 0, 0
		for len(b) > 0 {
			num, typ, v, _, rest, err := sampleField(b)
			if err != nil {
				return 0, err
			}
			b = rest
			n := 1
			if typ == protowire.BytesType && (num == fieldSampleLocation || num == fieldSampleValue) {
				if n, err = countVarints(v); err != nil {
					return 0, err
				}
			} else if typ != protowire.VarintType {
				continue
			}
			switch num {
			case fieldSampleLocation:
				ids += n
			case fieldSampleValue:
				values += n
			}
		}
		if values != nTypes {
			return 0, malformed("a sample has %d values for %d sample types", values, nTypes)
		}
		total += ids
	}
	return total, nil
}

// countFrames checks every sample (its encoding, its number of values, its
// locations) and returns how many frames the samples' stacks hold in all,
// refusing more than maxFrames.
func (d *protoDecoder) countFrames(nTypes int, locations idIndex, locStart []int32) (int, error) {
	nFrames, limit := 0, d.maxFrames()
	var ids []uint64
	var values []int64
	for _, off := range d.samples {
		var err error
		if ids, values, err = readSample(d.record(off), ids, values); err != nil {
			return 0, err
		}
		if len(values) != nTypes {
			return 0, malformed("a sample has %d values for %d sample types", len(values), nTypes)
		}
		for _, id := range ids {
			li, ok := locations.get(id)
			if !ok {
				return 0, missingLocation(id)
			}
			if nFrames += int(locStart[li+1] - locStart[li]); nFrames > limit {
				return 0, malformed("its samples expand to more than %d frames, %d per byte of profile, which no real profile comes near", limit, maxFramesPerByte)
			}
		}
	}
	return nFrames, nil
}

func missingLocation(id uint64) error {
	return malformed("a sample refers to missing location %d", id)
}

// appendFrames decodes a packed field of location ids and appends each
// location's frame to pool: frameOf maps a location id to its one frame, or
// to -1 when there is no such location. Location ids are most of a
// profile's bytes: those of up to four bytes (ids below 2^28) are decoded
// here without a branch on their length, which a profile's mix of one-,
// two- and three-byte ids would mispredict. Four bytes are read as one
// word, the id's last byte is the first whose high bit is clear, and its
// 7-bit groups are gathered with shifts. Longer ids, and the field's last
// three bytes, go to protowire.
func appendFrames(pool []int32, b []byte, frameOf []int32) ([]int32, error) {
	i := 0
	for i+4 <= len(b) {
		x := binary.LittleEndian.Uint32(b[i:])
		end := ^x & 0x80808080
		if end == 0 {
			break
		}
		n := bits.TrailingZeros32(end)>>3 + 1
		x &= 0xffffffff >> (32 - 8*n)
		id := x&0x7f | x>>1&0x3f80 | x>>2&0x1fc000 | x>>3&0xfe00000
		if uint64(id) >= uint64(len(frameOf)) || frameOf[id] < 0 {
			return pool, missingLocation(uint64(id))
		}
		pool = append(pool, frameOf[id])
		i += n
	}
	for i < len(b) {
		id, n := protowire.ConsumeVarint(b[i:])
		if n < 0 {
			return pool, wireError("packed varints", n)
		}
		if id >= uint64(len(frameOf)) || frameOf[id] < 0 {
			return pool, missingLocation(id)
		}
		pool = append(pool, frameOf[id])
		i += n
	}
	return pool, nil
}

// stacks decodes every sample into a stack of interned frames, merging samples
// whose stacks are the same (they differ only by labels). A first pass
// checks every sample and counts what the stacks will hold, so that nothing
// is allocated for samples that turn out to be bad, and the frame pool is
// allocated once instead of growing by doubling (which, for large profiles,
// leaves as much garbage behind as the pool itself).
//
// When every location is one frame and location ids are dense (as Go
// writes them), the first pass counts location ids without decoding them,
// and the second maps each id to its frame through one table: a missing
// location is then found by the second pass, after the tables below are
// allocated, which the first pass has bounded by the input's size.
func (d *protoDecoder) stacks(p *Profile, locations idIndex, locFrames, locStart []int32) error {
	nTypes := len(p.SampleTypes)
	var frameOf []int32 // location id -> its frame, when each location is one frame
	if locations.dense != nil && oneFrameEach(locStart) {
		frameOf = make([]int32, len(locations.dense))
		for id, li := range locations.dense {
			frameOf[id] = -1
			if li >= 0 {
				frameOf[id] = locFrames[locStart[li]]
			}
		}
	}
	var nFrames int
	var err error
	if frameOf != nil {
		nFrames, err = d.countIDs(nTypes)
	} else {
		nFrames, err = d.countFrames(nTypes, locations, locStart)
	}
	if err != nil {
		return err
	}
	// Every sample has passed: each holds nTypes values of a byte or more,
	// and each frame of the pool comes from a location id of a byte or more
	// (or the first pass bounded them), so the tables below are bounded by
	// the input's size.
	type span struct{ start, end int32 }
	var (
		spans   = make([]span, 0, len(d.samples))
		pool    = make([]int32, 0, nFrames)
		valPool = make([]int64, 0, len(d.samples)*nTypes)
		// Stacks are merged by a hash of their frames, in a table with open
		// addressing, sized once for as many stacks as there are samples: a
		// map of strings would cost more than the stacks themselves, and a
		// Go map several times this table. A slot holds a stack's number
		// plus one (0 is empty) in its low half and 32 bits of its hash in
		// its high half, so that a probe passes other stacks without
		// reading anything but the table.
		slots  = make([]uint64, max(4, 2<<bits.Len(uint(len(d.samples)))))
		mask   = uint64(len(slots) - 1)
		seed   = maphash.MakeSeed()
		ids    []uint64
		values = make([]int64, 0, nTypes)
	)
	for _, off := range d.samples {
		// The sample's frames go to the end of the pool, which has room
		// for every sample's: they stay there if the stack is new.
		start := len(pool)
		rec := d.record(off)
		if frameOf != nil {
			values = values[:0]
			for len(rec) > 0 {
				num, typ, v, x, rest, err := sampleField(rec)
				if err != nil {
					return err
				}
				rec = rest
				switch {
				case num == fieldSampleLocation && typ == protowire.BytesType:
					pool, err = appendFrames(pool, v, frameOf)
				case num == fieldSampleLocation && typ == protowire.VarintType:
					if x >= uint64(len(frameOf)) || frameOf[x] < 0 {
						return missingLocation(x)
					}
					pool = append(pool, frameOf[x])
				case num == fieldSampleValue && typ == protowire.BytesType:
					values, err = appendPackedInt64s(values, v, math.MaxInt)
				case num == fieldSampleValue && typ == protowire.VarintType:
					values = append(values, int64(x))
				}
				if err != nil {
					return err
				}
			}
		} else {
			if ids, values, err = readSample(rec, ids, values); err != nil {
				return err
			}
			for _, id := range ids {
				li, _ := locations.get(id) // checked by countFrames
				pool = append(pool, locFrames[locStart[li]:locStart[li+1]]...)
			}
		}
		frames := pool[start:]
		h := hashFrames(seed, frames)
		slot, tag := h&mask, h>>32<<32
		merged := false
		for ; slots[slot] != 0; slot = (slot + 1) & mask {
			if slots[slot]&^0xffffffff != tag {
				continue
			}
			si := int32(slots[slot]) - 1
			if s := spans[si]; slices.Equal(pool[s.start:s.end], frames) {
				acc := valPool[int(si)*nTypes : int(si+1)*nTypes]
				for i, v := range values {
					acc[i] += v
				}
				pool = pool[:start]
				merged = true
				break
			}
		}
		if merged {
			continue
		}
		slots[slot] = tag | uint64(len(spans)+1)
		spans = append(spans, span{int32(start), int32(len(pool))})
		valPool = append(valPool, values...)
	}
	// The input is not read again: drop it, and the merging tables, before
	// the stacks are made, so that a collection can give their memory to
	// the stacks (no caller holds the input: see decode).
	d.data, d.samples, d.strings = nil, nil, nil
	slots, frameOf = nil, nil
	p.Stacks = make([]Stack, len(spans))
	for i, s := range spans {
		p.Stacks[i] = Stack{
			Frames: pool[s.start:s.end:s.end],
			Values: valPool[i*nTypes : (i+1)*nTypes : (i+1)*nTypes],
		}
	}
	return nil
}

// oneFrameEach reports whether every location holds exactly one frame:
// location i owns the frames from locStart[i] to locStart[i+1].
func oneFrameEach(locStart []int32) bool {
	for i := 1; i < len(locStart); i++ {
		if locStart[i]-locStart[i-1] != 1 {
			return false
		}
	}
	return true
}

// hashFrames hashes a frame sequence, to merge samples with the same stack:
// its bytes as they are in memory (the hash is never stored or compared
// across machines).
func hashFrames(seed maphash.Seed, frames []int32) uint64 {
	if len(frames) == 0 {
		return maphash.Bytes(seed, nil)
	}
	return maphash.Bytes(seed, unsafe.Slice((*byte)(unsafe.Pointer(&frames[0])), 4*len(frames)))
}

// maxFramesPerByte bounds how many frames the stacks of a profile may hold
// per byte of its encoding. A sample names each location with a varint of a
// byte or more, and a location holds one line, or a few when calls were
// inlined: Go heap profiles hold about 0.2 frames per byte (the large
// benchmark pair, testdata/leaky), a recursion 100,000 frames deep 0.45, and
// a 128-frame stack inlined three times over would still be under 2. A
// crafted profile that names a location of thousands of lines thousands of
// times would otherwise expand a file of kilobytes into gigabytes of stacks,
// and every frame costs far more again downstream (a --by stack row lists
// them all).
const maxFramesPerByte = 4

// maxFrames is how many frames the stacks may hold in all: maxFramesPerByte
// per byte of the profile (and 65,536 for any profile), and no more than the
// int32 offsets of the frame pool can address.
func (d *protoDecoder) maxFrames() int {
	return int(min(int64(len(d.data))*maxFramesPerByte+1<<16, math.MaxInt32))
}

// appendStackKey appends a compact encoding of a frame sequence, used as a map
// key to merge samples with the same stack.
func appendStackKey(key []byte, frames []int32) []byte {
	for _, f := range frames {
		key = protowire.AppendVarint(key, uint64(f))
	}
	return key
}
