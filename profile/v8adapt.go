package profile

import (
	"errors"
	"strconv"

	"github.com/heapdiff/heapdiff/profile/v8"
)

// What package v8 reads, turned into the model. v8 returns its own neutral
// data (a snapshot's graph and classes, a sampling heap profile's frames
// and stacks); this file decides what a Profile of them holds: its sample
// types, frames, comments and notes.

// DefaultV8SamplingInterval is node --heap-prof's sampling interval, assumed
// when a profile does not let us infer its own.
const DefaultV8SamplingInterval = v8.DefaultSamplingInterval

// v8Error makes an error of package v8 match this package's sentinels as
// well as v8's: errors.Is(err, ErrMalformed) holds for a malformed snapshot
// whichever package found it. The message is v8's.
func v8Error(err error) error {
	if errors.Is(err, v8.ErrMalformed) {
		return &aliasError{err: err, alias: ErrMalformed}
	}
	return err
}

// aliasError is an error that also matches another sentinel.
type aliasError struct{ err, alias error }

func (e *aliasError) Error() string   { return e.err.Error() }
func (e *aliasError) Unwrap() []error { return []error{e.err, e.alias} }

// heapProfileModel reduces a sampling heap profile to the model: each of
// its stacks valued objects/count (the number of samples, not scaled) and
// space/bytes (V8's estimate of the live bytes, scaled for sampling).
func heapProfileModel(data []byte) (*Profile, error) {
	hp, err := v8.ParseHeapProfile(data)
	if err != nil {
		return nil, v8Error(err)
	}
	p := &Profile{
		Format:            FormatV8HeapProfile,
		SampleTypes:       []ValueType{{"objects", "count"}, {"space", "bytes"}},
		DefaultSampleType: "space",
		PeriodType:        ValueType{"space", "bytes"},
		Period:            hp.Interval,
		Frames:            make([]Frame, len(hp.Frames)),
	}
	for i, f := range hp.Frames {
		p.Frames[i] = Frame{Function: f.Function, File: f.URL, Line: f.Line}
	}
	hp.Frames = nil
	values := make([]int64, 2*len(hp.Stacks))
	p.Stacks = make([]Stack, len(hp.Stacks))
	for i, st := range hp.Stacks {
		v := values[2*i : 2*i+2 : 2*i+2]
		v[0], v[1] = st.Samples, st.Bytes
		p.Stacks[i] = Stack{Frames: st.Frames, Values: v}
	}
	if hp.IntervalInferred {
		p.Comments = append(p.Comments, "sampling interval "+strconv.FormatInt(hp.Interval, 10)+" bytes (inferred from the samples)")
	} else {
		p.Comments = append(p.Comments, "sampling interval unknown; assumed 512 KiB, node --heap-prof's default")
	}
	return p, nil
}
