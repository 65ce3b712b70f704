package profile

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/heapdiff/heapdiff/profile/v8"
)

// What package v8 reads, turned into the model. v8 returns its own neutral
// data (a snapshot's graph and classes, a sampling heap profile's frames
// and stacks); this file decides what a Profile of them holds: its sample
// types, frames, comments and notes.

// Sample types of a heap snapshot's profile, by class. Values are exact (Period 0).
var (
	SnapshotObjects      = ValueType{"objects", "count"}
	SnapshotShallowSize  = ValueType{"shallow_size", "bytes"}
	SnapshotRetainedSize = ValueType{"retained_size", "bytes"}
)

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
	p.Comments = append(p.Comments, hp.Comments...)
	switch {
	case hp.IntervalRecorded:
		p.Comments = append(p.Comments, "sampling interval "+strconv.FormatInt(hp.Interval, 10)+" bytes (recorded by heapdiff capture)")
	case hp.IntervalInferred:
		p.Comments = append(p.Comments, "sampling interval "+strconv.FormatInt(hp.Interval, 10)+" bytes (inferred from the samples)")
	default:
		p.Comments = append(p.Comments, "sampling interval unknown; assumed 512 KiB, node --heap-prof's default")
	}
	return p, nil
}

// snapshotModel analyses a heap snapshot and reduces it to the model: by
// class, or by allocation stack when opts.AllocationStacks asks and the
// snapshot has allocation traces. Unless opts.KeepSnapshot asks for the
// graph, the analysis drops it as it goes.
func snapshotModel(g *v8.Snapshot, opts Options) (*Profile, error) {
	by, note := v8.ByClass, ""
	switch {
	case opts.AllocationStacks && g.HasAllocationTraces():
		by = v8.ByAllocationStack
	case opts.AllocationStacks:
		note = "grouped by class: " + v8.ErrNoTraces.Error() + " (take it with node --track-heap-objects)"
	case g.HasAllocationTraces():
		note = "has allocation traces: --by site, func or stack groups objects by allocation stack"
	}
	a, err := g.Analyze(v8.AnalyzeOptions{
		By: by, Drop: !opts.KeepSnapshot,
		Retainers: opts.Retainers, Collections: opts.Collections && !opts.Retainers,
	})
	if err != nil {
		return nil, v8Error(err)
	}
	var p *Profile
	if by == v8.ByAllocationStack {
		p = allocationModel(a)
	} else {
		p = classModel(a)
	}
	if c := a.Collections(); c != nil {
		p.Collections = collectionsModel(c)
	}
	if r := a.Retainers(); r != nil {
		p.Retainers = newSnapshotRetainers(r)
	}
	p.Comments = append(p.Comments, g.Comments()...)
	if note != "" {
		p.Notes = append(p.Notes, note)
	}
	if opts.KeepSnapshot {
		p.Snapshot = g
	}
	return p, nil
}

// newSnapshotProfile starts the model of an analysed snapshot: its sample
// types (exact values, Period 0), what its root retains (the reachable
// heap, the whole of retained_size, whose stack values overlap), its size
// and its largest object id.
func newSnapshotProfile(a *v8.Analysis) *Profile {
	g := a.Snapshot()
	return &Profile{
		Whole:             map[string]int64{SnapshotRetainedSize.Type: int64(a.ReachableSize())},
		Format:            FormatV8Snapshot,
		SampleTypes:       []ValueType{SnapshotObjects, SnapshotShallowSize, SnapshotRetainedSize},
		DefaultSampleType: SnapshotShallowSize.Type,
		PeriodType:        ValueType{"space", "bytes"},
		Comments:          []string{fmt.Sprintf("%d nodes, %d edges", g.NodeCount(), g.EdgeCount())},
		MaxObjectID:       g.MaxHeapObjectID(),
	}
}

// snapshotStack sets the model's stack i, of a group of a snapshot's
// objects, and its objects.
func snapshotStack(p *Profile, i int, frames []int32, t v8.Totals) {
	p.Stacks[i] = Stack{Frames: frames, Values: []int64{t.Objects, t.ShallowSize, t.RetainedSize}}
	p.Objects[i] = Objects{IDs: t.IDs, Sizes: t.Sizes}
}

// classModel groups a snapshot's objects by class: one stack per class,
// of one frame named after it (its label), with no file, and the class's
// key (ClassKeys). Each class has a frame of its own, even where a name
// mimics another class's label.
func classModel(a *v8.Analysis) *Profile {
	p := newSnapshotProfile(a)
	classes := a.Classes()
	p.Frames = make([]Frame, len(classes))
	p.ClassKeys = make([]string, len(classes))
	p.Stacks = make([]Stack, len(classes))
	p.Objects = make([]Objects, len(classes))
	for i, c := range classes {
		p.Frames[i] = Frame{Function: c.Label}
		p.ClassKeys[i] = c.Key
		snapshotStack(p, i, []int32{int32(i)}, c.Totals)
	}
	return p
}

// allocationModel groups a snapshot's objects by the stack that allocated
// them, from the allocation traces of --track-heap-objects. Objects without
// a trace get the one frame "(no allocation trace)".
func allocationModel(a *v8.Analysis) *Profile {
	view := a.AllocationStacks()
	p := newSnapshotProfile(a)
	// Each of view's functions is one frame at most, and "(no allocation
	// trace)" one more.
	table := newFrameTable(p, len(view.Functions)+1)
	frameOf := make([]int32, len(view.Functions))
	for i := range frameOf {
		frameOf[i] = -1
	}
	noTrace := int32(-1)
	p.Stacks = make([]Stack, len(view.Stacks))
	p.Objects = make([]Objects, len(view.Stacks))
	for i, st := range view.Stacks {
		// The stacks' function numbers become frame numbers in place: the
		// pool is ours, and a copy would double what the stacks take.
		for j, fi := range st.Frames {
			switch {
			case fi == v8.NoTrace:
				if noTrace < 0 {
					noTrace = table.add(Frame{Function: "(no allocation trace)"})
				}
				st.Frames[j] = noTrace
			default:
				if frameOf[fi] < 0 {
					f := view.Functions[fi]
					frameOf[fi] = table.add(Frame{Function: f.Name, File: f.Script, Line: int64(f.Line)})
				}
				st.Frames[j] = frameOf[fi]
			}
		}
		snapshotStack(p, i, st.Frames, st.Totals)
	}
	p.Notes = append(p.Notes, "grouped by allocation stack (--track-heap-objects)")
	return p
}

// readOptions says what a snapshot must keep of its file for opts: the
// names retainer paths and collections read, when asked for.
func readOptions(opts Options) v8.ReadOptions {
	return v8.ReadOptions{Names: opts.Retainers || opts.Collections}
}

// collectionsModel gives a snapshot's collections, their class labels
// escaped as the profile's frames.
func collectionsModel(c *v8.Collections) *Collections {
	out := &Collections{List: make([]Collection, len(c.List)), Least: c.Least}
	for i, x := range c.List {
		out.List[i] = Collection{ID: x.ID, Class: printable(x.Class), Entries: x.Entries, Size: x.Size, Retained: x.Retained}
	}
	return out
}

// snapshotRetainers is a heap snapshot's Retainers: package v8's, with
// classes named as the profile's frames name them and every string
// escaped.
type snapshotRetainers struct {
	r *v8.Retainers
	// class maps a class's frame name (its label, escaped) to its index
	// in r.Classes(); the first class wins where two labels escape alike.
	class map[string]int
}

func newSnapshotRetainers(r *v8.Retainers) *snapshotRetainers {
	s := &snapshotRetainers{r: r, class: map[string]int{}}
	for i, label := range r.Classes() {
		name := printable(label)
		if _, dup := s.class[name]; !dup {
			s.class[name] = i
		}
	}
	return s
}

// Paths clusters the paths of a class's objects (see v8.Retainers.Paths).
// It runs under the V8 loads' lock: clustering the paths of a class of
// hundreds of thousands of new objects held in as many ways makes garbage
// of the order of the index, which a load running beside it would pile
// onto.
func (s *snapshotRetainers) Paths(class string, keep func(uint64) bool, limit int) RetainerPaths {
	k, ok := s.class[class]
	if !ok {
		return RetainerPaths{}
	}
	lockV8()
	res := s.r.Paths(k, keep, limit)
	unlockV8(0)
	out := RetainerPaths{Objects: res.Objects, Retained: res.Retained, Omitted: res.Omitted, Paths: make([]RetainerPath, len(res.Paths))}
	for i, p := range res.Paths {
		out.Paths[i] = retainerPathModel(p)
	}
	return out
}

// PathOf returns the path of the object with the given id.
func (s *snapshotRetainers) PathOf(id uint64) (RetainerPath, bool) {
	p, ok := s.r.PathOf(id)
	if !ok {
		return RetainerPath{}, false
	}
	return retainerPathModel(p), true
}

// pathRoots names v8's path roots as the model does.
var pathRoots = map[v8.PathRoot]string{
	v8.RootGlobal:      RootGlobal,
	v8.RootModule:      RootModule,
	v8.RootSystem:      RootSystem,
	v8.RootUnreachable: RootUnreachable,
}

// retainerPathModel gives a path of package v8 in the model's terms, its
// strings escaped.
func retainerPathModel(p v8.RetainerPath) RetainerPath {
	out := RetainerPath{Objects: p.Objects, Retained: p.Retained, Cut: p.Cut, Root: pathRoots[p.Root], UserStart: p.UserStart, Steps: make([]RetainerStep, len(p.Steps))}
	for i, st := range p.Steps {
		out.Steps[i] = RetainerStep{
			EdgeType: printable(st.EdgeType), EdgeName: printable(st.EdgeName), Names: st.Names,
			NodeType: printable(st.NodeType), Class: printable(st.Class), Name: printable(st.Name), ID: st.ID,
		}
	}
	return out
}
