package profile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// decode turns decompressed bytes into a Profile: first with the lean pprof
// protobuf decoder, then, if the bytes are not protobuf, with the legacy text
// parsers of github.com/google/pprof/profile.
func decode(data []byte) (*Profile, error) {
	p, protoErr := decodeProto(data)
	if protoErr == nil && (len(p.SampleTypes) > 0 || !looksLikeText(data)) {
		return p, nil
	}
	if protoErr != nil && !errors.Is(protoErr, errNotProto) {
		return nil, protoErr // protobuf, but broken: say how
	}
	lp, legacyErr := parseLegacy(data)
	if legacyErr == nil {
		return lp, nil
	}
	if protoErr == nil {
		return p, nil
	}
	if looksLikeText(data) {
		return nil, fmt.Errorf("%w: text in no known profile format (%v)", ErrNotProfile, legacyErr)
	}
	return nil, fmt.Errorf("%w: neither pprof protobuf nor a known text profile format", ErrNotProfile)
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
	firstLine, endLine     int32 // range in protoDecoder.lines
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
	id   uint64
	file int64
}

// protoDecoder holds the raw tables of one pprof protobuf message. Strings and
// samples stay as sub-slices of the input until they are needed.
type protoDecoder struct {
	strings     [][]byte
	sampleTypes []rawValueType
	samples     [][]byte
	mappings    []rawMapping
	locations   []rawLocation
	lines       []rawLine
	functions   []rawFunction
	comments    []int64
	periodType  rawValueType
	period      int64
	timeNanos   int64
	duration    int64
	defaultType int64
	timeSeen    bool
	size        int // bytes of the encoded profile, for maxFrames
}

// decodeProto is the lean pprof decoder: one pass over the top-level fields
// collects the tables, then samples are decoded straight into merged stacks
// of interned frames. It checks what profile.CheckValid checks.
func decodeProto(data []byte) (*Profile, error) {
	d := protoDecoder{size: len(data)}
	if err := d.scan(data); err != nil {
		return nil, err
	}
	return d.build()
}

func (d *protoDecoder) scan(b []byte) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return wireError("field tag", n)
		}
		b = b[n:]
		var err error
		switch {
		case typ == protowire.BytesType && num <= fieldStringTable:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return wireError("field length", n)
			}
			b = b[n:]
			err = d.message(num, v)
		case num == fieldComment && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return wireError("comments", n)
			}
			b = b[n:]
			d.comments, err = appendPackedInt64s(d.comments, v)
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

// message records one length-delimited top-level field.
func (d *protoDecoder) message(num protowire.Number, v []byte) error {
	switch num {
	case fieldSampleType:
		vt, err := decodeValueType(v)
		d.sampleTypes = append(d.sampleTypes, vt)
		return err
	case fieldSample:
		d.samples = append(d.samples, v)
	case fieldMapping:
		m, err := decodeMapping(v)
		d.mappings = append(d.mappings, m)
		return err
	case fieldLocation:
		return d.location(v)
	case fieldFunction:
		f, err := decodeFunction(v)
		d.functions = append(d.functions, f)
		return err
	case fieldStringTable:
		d.strings = append(d.strings, v)
	}
	return nil
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
	var file uint64
	err := forEachField(b, "mapping", func(num protowire.Number, wt protowire.Type, b []byte) (int, error) {
		switch num {
		case 1:
			return varintField(wt, b, &m.id), nil
		case 5:
			return varintField(wt, b, &file), nil
		}
		return 0, nil
	})
	m.file = int64(file)
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

func (d *protoDecoder) location(b []byte) error {
	loc := rawLocation{firstLine: int32(len(d.lines))}
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
			var line uint64
			err := forEachField(v, "line", func(num protowire.Number, wt protowire.Type, b []byte) (int, error) {
				switch num {
				case 1:
					return varintField(wt, b, &ln.functionID), nil
				case 2:
					return varintField(wt, b, &line), nil
				}
				return 0, nil
			})
			ln.line = int64(line)
			d.lines = append(d.lines, ln)
			return n, err
		}
		return 0, nil
	})
	loc.endLine = int32(len(d.lines))
	d.locations = append(d.locations, loc)
	return err
}

// appendPackedInt64s decodes a packed repeated int64 field.
func appendPackedInt64s(dst []int64, b []byte) ([]int64, error) {
	for len(b) > 0 {
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return dst, wireError("packed varints", n)
		}
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

// stringTable converts string indexes to strings, each at most once.
type stringTable struct {
	raw  [][]byte
	done []string
	ok   []bool
}

func (t *stringTable) get(i int64) (string, error) {
	if i < 0 || i >= int64(len(t.raw)) {
		return "", malformed("string index %d out of range [0..%d)", i, len(t.raw))
	}
	if !t.ok[i] {
		t.done[i], t.ok[i] = string(t.raw[i]), true
	}
	return t.done[i], nil
}

// idIndex maps the IDs of a table to positions: a slice when the IDs are
// dense (as every known producer writes them), a map otherwise.
type idIndex struct {
	dense  []int32
	sparse map[uint64]int32
}

func newIDIndex(kind string, n int, id func(int) uint64) (idIndex, error) {
	var max uint64
	for i := 0; i < n; i++ {
		if v := id(i); v > max {
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
		if v == 0 {
			return x, malformed("found %s with reserved id 0", kind)
		}
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
	if len(d.strings[0]) != 0 {
		return nil, malformed("string_table[0] must be empty")
	}
	st := stringTable{raw: d.strings, done: make([]string, len(d.strings)), ok: make([]bool, len(d.strings))}
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
	for _, vt := range d.sampleTypes {
		p.SampleTypes = append(p.SampleTypes, valueType(vt))
	}
	p.PeriodType = valueType(d.periodType)
	for _, c := range d.comments {
		if err == nil {
			var s string
			s, err = st.get(c)
			p.Comments = append(p.Comments, s)
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

	locFrames, locStart, err := d.frames(p, &st)
	if err != nil {
		return nil, err
	}
	if err := d.stacks(p, locFrames, locStart); err != nil {
		return nil, err
	}
	return p, nil
}

// frames interns the frames of every location. It returns them flattened:
// location i owns locFrames[locStart[i]:locStart[i+1]], innermost first.
func (d *protoDecoder) frames(p *Profile, st *stringTable) (locFrames []int32, locStart []int32, err error) {
	mappings, err := newIDIndex("mapping", len(d.mappings), func(i int) uint64 { return d.mappings[i].id })
	if err != nil {
		return nil, nil, err
	}
	functions, err := newIDIndex("function", len(d.functions), func(i int) uint64 { return d.functions[i].id })
	if err != nil {
		return nil, nil, err
	}
	type fn struct{ name, file string }
	fns := make([]fn, len(d.functions))
	for i, f := range d.functions {
		if fns[i].name, err = st.get(f.name); err != nil {
			return nil, nil, err
		}
		if fns[i].file, err = st.get(f.file); err != nil {
			return nil, nil, err
		}
		if _, err = st.get(f.system); err != nil {
			return nil, nil, err
		}
	}
	add := newFrameTable(p, len(d.functions)+len(d.locations)).add
	locStart = make([]int32, len(d.locations)+1)
	locFrames = make([]int32, 0, len(d.lines)+len(d.locations))
	for i, loc := range d.locations {
		locStart[i] = int32(len(locFrames))
		if loc.firstLine == loc.endLine {
			f := Frame{Address: loc.address}
			if loc.mappingID != 0 {
				if m, ok := mappings.get(loc.mappingID); ok {
					if f.Module, err = st.get(d.mappings[m].file); err != nil {
						return nil, nil, err
					}
				}
			}
			locFrames = append(locFrames, add(f))
			continue
		}
		for _, ln := range d.lines[loc.firstLine:loc.endLine] {
			fi, ok := functions.get(ln.functionID)
			if !ok {
				return nil, nil, malformed("location %d has a line with missing function %d", loc.id, ln.functionID)
			}
			locFrames = append(locFrames, add(Frame{Function: fns[fi].name, File: fns[fi].file, Line: ln.line}))
		}
	}
	locStart[len(d.locations)] = int32(len(locFrames))
	return locFrames, locStart, nil
}

// stacks decodes every sample into a stack of interned frames, merging samples
// whose stacks are the same (they differ only by labels).
func (d *protoDecoder) stacks(p *Profile, locFrames, locStart []int32) error {
	locations, err := newIDIndex("location", len(d.locations), func(i int) uint64 { return d.locations[i].id })
	if err != nil {
		return err
	}
	nTypes := len(p.SampleTypes)
	type span struct{ start, end int32 }
	var (
		ids     []uint64
		values  []int64
		frames  []int32
		spans   = make([]span, 0, len(d.samples))
		pool    []int32
		valPool = make([]int64, 0, len(d.samples)*nTypes)
		// Stacks are merged by a hash of their frames: a map of strings
		// would cost more than the stacks themselves. Colliding stacks
		// (told apart by comparing frames) chain through next.
		byHash  = make(map[uint64]int32, len(d.samples))
		next    []int32
		seed    = maphash.MakeSeed()
		scratch []byte
	)
	nFrames := d.countFrames(locations, locStart)
	if limit := d.maxFrames(); nFrames > limit {
		return malformed("its samples expand to more than %d frames, %d per byte of profile, which no real profile comes near", limit, maxFramesPerByte)
	}
	pool = make([]int32, 0, nFrames)
	find := func(h uint64) (int32, bool) {
		for si, ok := byHash[h]; ok && si >= 0; si = next[si] {
			if s := spans[si]; slices.Equal(pool[s.start:s.end], frames) {
				return si, true
			}
		}
		return 0, false
	}
	for _, sample := range d.samples {
		ids, values = ids[:0], values[:0]
		err := forEachField(sample, "sample", func(num protowire.Number, wt protowire.Type, b []byte) (int, error) {
			switch {
			case num == 1 && wt == protowire.BytesType:
				v, n := protowire.ConsumeBytes(b)
				if n < 0 {
					return n, nil
				}
				var err error
				ids, err = appendPackedUint64s(ids, v)
				return n, err
			case num == 1 && wt == protowire.VarintType:
				v, n := protowire.ConsumeVarint(b)
				ids = append(ids, v)
				return n, nil
			case num == 2 && wt == protowire.BytesType:
				v, n := protowire.ConsumeBytes(b)
				if n < 0 {
					return n, nil
				}
				var err error
				values, err = appendPackedInt64s(values, v)
				return n, err
			case num == 2 && wt == protowire.VarintType:
				v, n := protowire.ConsumeVarint(b)
				values = append(values, int64(v))
				return n, nil
			}
			return 0, nil
		})
		if err != nil {
			return err
		}
		if len(values) != nTypes {
			return malformed("a sample has %d values for %d sample types", len(values), nTypes)
		}
		frames = frames[:0]
		for _, id := range ids {
			li, ok := locations.get(id)
			if !ok {
				return malformed("a sample refers to missing location %d", id)
			}
			frames = append(frames, locFrames[locStart[li]:locStart[li+1]]...)
		}
		h := hashFrames(seed, frames, &scratch)
		if si, seen := find(h); seen {
			acc := valPool[int(si)*nTypes : int(si+1)*nTypes]
			for i, v := range values {
				acc[i] += v
			}
			continue
		}
		si := int32(len(spans))
		prev, collides := byHash[h]
		if !collides {
			prev = -1
		}
		next = append(next, prev)
		byHash[h] = si
		start := int32(len(pool))
		pool = append(pool, frames...)
		spans = append(spans, span{start, int32(len(pool))})
		valPool = append(valPool, values...)
	}
	p.Stacks = make([]Stack, len(spans))
	for i, s := range spans {
		p.Stacks[i] = Stack{
			Frames: pool[s.start:s.end:s.end],
			Values: valPool[i*nTypes : (i+1)*nTypes : (i+1)*nTypes],
		}
	}
	return nil
}

// hashFrames hashes a frame sequence, to merge samples with the same stack.
// scratch is reused between calls.
func hashFrames(seed maphash.Seed, frames []int32, scratch *[]byte) uint64 {
	b := (*scratch)[:0]
	for _, f := range frames {
		b = binary.LittleEndian.AppendUint32(b, uint32(f))
	}
	*scratch = b
	return maphash.Bytes(seed, b)
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
	return int(min(int64(d.size)*maxFramesPerByte+1<<16, math.MaxInt32))
}

// countFrames returns how many frames the samples hold in all, so the frame
// pool is allocated once instead of growing by doubling (which, for large
// profiles, leaves as much garbage behind as the pool itself). Malformed
// samples count as zero here; the decoding pass reports them.
func (d *protoDecoder) countFrames(locations idIndex, locStart []int32) int {
	n := 0
	for _, sample := range d.samples {
		forEachField(sample, "sample", func(num protowire.Number, wt protowire.Type, b []byte) (int, error) {
			if num != 1 {
				return 0, nil
			}
			count := func(id uint64) {
				if li, ok := locations.get(id); ok {
					n += int(locStart[li+1] - locStart[li])
				}
			}
			if wt == protowire.VarintType {
				v, used := protowire.ConsumeVarint(b)
				count(v)
				return used, nil
			}
			if wt != protowire.BytesType {
				return 0, nil
			}
			v, used := protowire.ConsumeBytes(b)
			for len(v) > 0 {
				id, k := protowire.ConsumeVarint(v)
				if k < 0 {
					break
				}
				count(id)
				v = v[k:]
			}
			return used, nil
		})
	}
	return n
}

// appendStackKey appends a compact encoding of a frame sequence, used as a map
// key to merge samples with the same stack.
func appendStackKey(key []byte, frames []int32) []byte {
	for _, f := range frames {
		key = protowire.AppendVarint(key, uint64(f))
	}
	return key
}
