package profile

import (
	"fmt"
	"time"

	pprof "github.com/google/pprof/profile"
)

// legacyCost is how many bytes parsing legacy text may take per byte of
// text: github.com/google/pprof/profile builds a pointer-heavy profile, with
// a map of labels for every sample, and a crafted text of one short line per
// sample takes up to 75 times its size (Java heapz, "1 1 @ 0x1" per line;
// Go heap text takes 50). A text profile may hold at most 1/legacyCost of
// the limit, and reserves legacyCost times its size from the budget of the
// loads in progress, so that its parse stays within the limit too.
const legacyCost = 128

// parseLegacy reads the text formats that only github.com/google/pprof/profile
// understands (Go debug=1 heap text, tcmalloc heapz and growthz, Java heapz).
// It is the slow path: profile.Parse builds a pointer-heavy profile first.
// data is text and fully inflated: ParseData would inflate gzip itself,
// with no limit.
func parseLegacy(data []byte, res *reservation) (*Profile, error) {
	if limit := res.limit / legacyCost; int64(len(data)) > limit {
		return nil, fmt.Errorf("%w for a text profile: this one is %d bytes, and text may take at most 1/%d of the limit, %d bytes, as parsing it takes up to %d times its size (write the profile as protobuf, e.g. debug=0)",
			ErrTooLarge, len(data), legacyCost, limit, legacyCost)
	}
	if err := res.use(len(data) * (legacyCost - 1)); err != nil {
		return nil, err
	}
	pp, err := pprof.ParseData(data)
	if err != nil {
		return nil, err
	}
	p := FromPprof(pp)
	p.Format = FormatLegacy
	return p, nil
}

// FromPprof converts a profile parsed by github.com/google/pprof/profile to the
// model, merging samples that have the same stack. It is how legacy formats
// are read, and the reference the lean decoder is tested against.
func FromPprof(pp *pprof.Profile) *Profile {
	p := &Profile{
		Format:            FormatPprof,
		DefaultSampleType: pp.DefaultSampleType,
		Period:            pp.Period,
		Duration:          time.Duration(pp.DurationNanos),
		Comments:          append([]string(nil), pp.Comments...),
	}
	for _, st := range pp.SampleType {
		p.SampleTypes = append(p.SampleTypes, ValueType{Type: st.Type, Unit: st.Unit})
	}
	if pp.PeriodType != nil {
		p.PeriodType = ValueType{Type: pp.PeriodType.Type, Unit: pp.PeriodType.Unit}
	}
	if len(pp.Mapping) > 0 {
		p.Main = Binary{File: pp.Mapping[0].File, BuildID: pp.Mapping[0].BuildID}
	}
	if pp.TimeNanos != 0 {
		p.Time = time.Unix(0, pp.TimeNanos).UTC()
	}
	table := newFrameTable(p, 0)
	locFrames := map[uint64][]int32{}
	framesOf := func(loc *pprof.Location) []int32 {
		if fs, ok := locFrames[loc.ID]; ok {
			return fs
		}
		var frames []Frame
		if len(loc.Line) == 0 {
			f := Frame{Address: loc.Address}
			if loc.Mapping != nil {
				f.Module = loc.Mapping.File
			}
			frames = append(frames, f)
		}
		for _, ln := range loc.Line {
			frames = append(frames, Frame{Function: ln.Function.Name, File: ln.Function.Filename, Line: ln.Line})
		}
		var ids []int32
		for _, f := range frames {
			ids = append(ids, table.add(f))
		}
		locFrames[loc.ID] = ids
		return ids
	}
	byKey := map[string]int{}
	var key []byte
	for _, s := range pp.Sample {
		var frames []int32
		for _, loc := range s.Location {
			frames = append(frames, framesOf(loc)...)
		}
		key = appendStackKey(key[:0], frames)
		if i, ok := byKey[string(key)]; ok {
			for j, v := range s.Value {
				p.Stacks[i].Values[j] += v
			}
			continue
		}
		byKey[string(key)] = len(p.Stacks)
		p.Stacks = append(p.Stacks, Stack{Frames: frames, Values: append([]int64(nil), s.Value...)})
	}
	return p
}
