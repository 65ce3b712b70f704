package v8

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// DefaultSamplingInterval is node --heap-prof's sampling interval, assumed
// when a profile does not let us infer its own.
const DefaultSamplingInterval = 512 * 1024

// HeapProfile is a sampling heap profile reduced to its distinct call
// stacks: each call tree node with samples or bytes is a stack, and nodes
// with the same path of frames share one.
type HeapProfile struct {
	// Frames lists the distinct call frames the stacks index.
	Frames []CallFrame
	// Stacks come in the order of the first node (in the file) that gave
	// each some samples or bytes.
	Stacks []HeapStack
	// Interval is the sampling interval in bytes: the one heapdiff capture
	// recorded when IntervalRecorded (see IntervalComment), else inferred
	// from the samples when IntervalInferred, else DefaultSamplingInterval.
	Interval         int64
	IntervalRecorded bool
	IntervalInferred bool
	// Comments are the "heapdiff.key=value" strings that heapdiff capture
	// wrote in the file's "heapdiff" member (see [MetadataMember]); nil for
	// what V8 wrote alone.
	Comments []string
}

// CallFrame is the function of a call tree node.
type CallFrame struct {
	// Function is the function's name, AnonymousFunction when it has none.
	Function string
	// URL is its script's URL or path, "" for V8's built-in functions.
	URL string
	// Line is the 1-based line the function starts on (the file's are
	// 0-based), 0 when unknown.
	Line int64
}

// HeapStack is one distinct call stack and what its nodes hold.
type HeapStack struct {
	// Frames indexes HeapProfile.Frames, leaf first, without the "(root)"
	// node at the top of the tree. The stacks' frames are slices of one
	// array.
	Frames []int32
	// Samples is the number of samples (not scaled); Bytes the nodes'
	// selfSize, V8's estimate of the live bytes, scaled for sampling.
	Samples, Bytes int64
}

// A sampling heap profile is a call tree whose nodes carry the sampled bytes
// allocated (and still live) in them, and the list of samples:
//
//	{"head": {"callFrame": {"functionName", "url", "lineNumber", ...},
//	          "selfSize", "id", "children": [node, ...]},
//	 "samples": [{"size", "nodeId", "ordinal"}, ...]}
//
// It is read in two passes over the bytes, without building the tree: the
// first counts the samples of each node id, the second walks the tree with
// an explicit stack (a call tree may be thousands of levels deep) and
// interns each node's path from the root in a trie, so a stack shared by
// many nodes is stored once, whatever the shape of the tree.

// ParseHeapProfile reads a sampling heap profile (.heapprofile) held in
// data. Lines are 0-based in the file and made 1-based; empty function
// names are AnonymousFunction, as DevTools shows them. Stacks may hold at
// most MaxFramesPerByte frames per byte of data in all (a chain of n nodes,
// each with bytes, holds n²/2), a bound counted before any stack is made.
func ParseHeapProfile(data []byte) (*HeapProfile, error) {
	samples, minSize, err := readHeapSamples(data)
	if err != nil {
		return nil, fmt.Errorf("%w: sampling heap profile: %v", ErrMalformed, err)
	}
	p := &HeapProfile{}
	t := &heapTree{table: newInterner[CallFrame](), samples: samples, byPath: map[uint64]int32{}, anonymous: -1}
	s := newBytesScanner(data)
	var comments []string
	err = s.object(func(key string) error {
		switch {
		case key == heapdiffMember:
			var err error
			comments, err = readHeapdiffMember(s)
			return err
		case key != "head":
			return s.skip()
		case s.null():
			return nil
		}
		return t.read(s)
	})
	if err != nil {
		return nil, fmt.Errorf("%w: sampling heap profile: %v", ErrMalformed, err)
	}
	if !t.read1 {
		return nil, fmt.Errorf("%w: sampling heap profile has no head node", ErrMalformed)
	}
	if err := t.stacks(p, frameBudget(int64(len(data)))); err != nil {
		return nil, err
	}
	p.Comments = comments
	if v, ok := recordedInterval(comments); ok {
		p.Interval, p.IntervalRecorded = v, true
		return p, nil
	}
	p.Interval, p.IntervalInferred = samplingInterval(minSize)
	if !p.IntervalInferred {
		p.Interval = DefaultSamplingInterval
	}
	return p, nil
}

// IntervalComment is the comment in which heapdiff capture records the
// sampling interval it started V8's sampler with
// ("heapdiff.sampling_interval_bytes=32768"): a profile with few samples,
// such as the baseline taken as sampling starts, cannot tell it.
const IntervalComment = "heapdiff.sampling_interval_bytes"

// recordedInterval returns the interval IntervalComment records, if one of
// comments does and it is a positive number.
func recordedInterval(comments []string) (int64, bool) {
	for _, c := range comments {
		if v, ok := strings.CutPrefix(c, IntervalComment+"="); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			return n, err == nil && n > 0
		}
	}
	return 0, false
}

// readHeapSamples is the first pass: it counts the samples of each node id
// and finds the smallest sample's size, and checks that the document is one
// object with at most one head and one list of samples.
func readHeapSamples(data []byte) (counts map[int64]int64, minSize int64, err error) {
	counts = map[int64]int64{}
	s := newBytesScanner(data)
	seen := map[string]bool{}
	err = s.object(func(key string) error {
		if key == "head" || key == "samples" {
			if seen[key] {
				return fmt.Errorf("a second %q member", key)
			}
			seen[key] = true
		}
		switch {
		case key != "samples":
			return s.skip()
		case s.null():
			return nil
		}
		return s.array(func(int) error {
			if s.null() {
				return nil
			}
			var size, node int64
			err := s.object(func(key string) error {
				var err error
				switch key {
				case "size":
					size, err = s.int()
				case "nodeId":
					node, err = s.int()
				default:
					err = s.skip()
				}
				return err
			})
			if err != nil {
				return err
			}
			counts[node]++
			if size > 0 && (minSize == 0 || size < minSize) {
				minSize = size
			}
			return nil
		})
	})
	if err == nil && s.skipWS() != 0 {
		err = s.syntaxError("data after the end of the profile")
	}
	return counts, minSize, err
}

// heapTree is the second pass: the call tree's paths, interned.
type heapTree struct {
	table   *interner[CallFrame]
	samples map[int64]int64 // by node id
	read1   bool            // a head node was read

	// The trie of paths: entry i is frame[i] called from entry parent[i]
	// (-1 at the top), depth[i] frames from the top.
	parent, frame, depth []int32
	byPath               map[uint64]int32 // (parent+1)<<32 | frame → entry
	// The entries with samples or bytes, and for each, the first node (in
	// the file's order) that gave it some: stacks come in that order.
	slot   []int32 // per entry: index in valued, or -1
	valued []heapStack
	nodes  int64 // nodes opened so far
	// anonymous is the index of anonymousFrame in the table, once added.
	anonymous int32
}

type heapStack struct {
	entry          int32
	first          int64
	count, bytesSz int64
}

// openHeapNode is a call tree node being read.
type openHeapNode struct {
	parent  int32 // the caller's trie entry, -1 at the top
	entry   int32 // this node's entry, once known; -1 for a "(root)" head
	known   bool  // entry is set: the callFrame was read, or the children began
	head    bool
	seq     int64
	id, sz  int64
	members int // of the node's object, read so far
}

// path returns the trie entry for frame f called from parent.
func (t *heapTree) path(parent, f int32) (int32, error) {
	key := uint64(uint32(parent+1))<<32 | uint64(uint32(f))
	if e, ok := t.byPath[key]; ok {
		return e, nil
	}
	if len(t.parent) >= math.MaxInt32 {
		return 0, errors.New("too many call paths")
	}
	e := int32(len(t.parent))
	d := int32(1)
	if parent >= 0 {
		d = t.depth[parent] + 1
	}
	t.parent, t.frame, t.depth, t.slot = appendDoubling(t.parent, parent), appendDoubling(t.frame, f), appendDoubling(t.depth, d), appendDoubling(t.slot, -1)
	t.byPath[key] = e
	return e, nil
}

// anonymousFrame is the frame of a node without a callFrame.
var anonymousFrame = CallFrame{Function: AnonymousFunction, Line: 1}

// setFrame gives n its trie entry, for frame f (nil: no callFrame).
func (t *heapTree) setFrame(n *openHeapNode, f *CallFrame) error {
	if f == nil {
		f = &anonymousFrame
	}
	n.known = true
	if n.head && f.Function == "(root)" {
		n.entry = -1
		return nil
	}
	var fi int32
	if f == &anonymousFrame {
		if t.anonymous < 0 {
			t.anonymous = t.table.add(anonymousFrame)
		}
		fi = t.anonymous
	} else {
		fi = t.table.add(*f)
	}
	var err error
	n.entry, err = t.path(n.parent, fi)
	return err
}

// close records what node n carries in its stack.
func (t *heapTree) close(n *openHeapNode) error {
	if !n.known {
		if err := t.setFrame(n, nil); err != nil {
			return err
		}
	}
	count := t.samples[n.id]
	if (count == 0 && n.sz == 0) || n.entry < 0 {
		return nil
	}
	si := t.slot[n.entry]
	if si < 0 {
		si = int32(len(t.valued))
		t.slot[n.entry] = si
		t.valued = appendDoubling(t.valued, heapStack{entry: n.entry, first: n.seq})
	}
	st := &t.valued[si]
	st.first = min(st.first, n.seq)
	st.count += count
	st.bytesSz += n.sz
	return nil
}

// read reads the head node and everything under it.
func (t *heapTree) read(s *jsonScanner) error {
	t.read1 = true
	open := func(parent int32, head bool) openHeapNode {
		t.nodes++
		return openHeapNode{parent: parent, entry: -1, head: head, seq: t.nodes}
	}
	if err := s.expect('{'); err != nil {
		return err
	}
	stack := []openHeapNode{open(-1, true)}
	for len(stack) > 0 {
		n := &stack[len(stack)-1]
		// Inside n's object: its next member, or its end.
		if n.members > 0 || s.skipWS() == '}' {
			more, err := s.separator('}', "a call tree node member")
			if err != nil {
				return err
			}
			if !more {
				if err := t.close(n); err != nil {
					return err
				}
				stack = stack[:len(stack)-1]
				if len(stack) == 0 {
					return nil
				}
				// Inside the parent's children: the next child, or their end.
				if err := t.nextChild(s, &stack); err != nil {
					return err
				}
				continue
			}
		}
		n.members++
		key, err := s.key()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		switch key {
		case "callFrame":
			if n.known {
				return s.syntaxError("a call tree node's callFrame comes after its children")
			}
			var f *CallFrame
			if !s.null() {
				cf, err := readCallFrame(s)
				if err != nil {
					return err
				}
				f = &cf
			}
			err = t.setFrame(n, f)
		case "selfSize":
			n.sz, err = s.int()
		case "id":
			n.id, err = s.int()
		case "children":
			if !n.known {
				if err := t.setFrame(n, nil); err != nil {
					return err
				}
			}
			if s.null() {
				continue
			}
			if err := s.expect('['); err != nil {
				return err
			}
			if s.skipWS() == ']' {
				s.pos++
				continue
			}
			stack = append(stack, openHeapNode{parent: n.entry, entry: -2})
			err = t.nextChild(s, &stack)
		default:
			err = s.skip()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// nextChild is called inside a list of children, whose parent is the last
// node of the stack, at the start of the list (marked by a placeholder of
// entry -2 on top of the stack) or after a child. It opens the next child,
// skipping nulls, or ends the list.
func (t *heapTree) nextChild(s *jsonScanner, stack *[]openHeapNode) error {
	st := *stack
	starting := st[len(st)-1].entry == -2
	var parent int32
	if starting {
		parent = st[len(st)-1].parent
		st = st[:len(st)-1]
	} else {
		parent = st[len(st)-1].entry
	}
	for {
		if !starting {
			more, err := s.separator(']', "a call tree node")
			if err != nil {
				return err
			}
			if !more {
				*stack = st
				return nil
			}
		}
		starting = false
		if s.null() {
			continue
		}
		if err := s.expect('{'); err != nil {
			return err
		}
		t.nodes++
		*stack = append(st, openHeapNode{parent: parent, entry: -1, seq: t.nodes})
		return nil
	}
}

// readCallFrame reads a callFrame object into a frame.
func readCallFrame(s *jsonScanner) (CallFrame, error) {
	var f CallFrame
	line := int64(0)
	err := s.object(func(key string) error {
		var err error
		switch key {
		case "functionName":
			f.Function, err = s.nullableStr()
		case "url":
			f.URL, err = s.nullableStr()
		case "lineNumber":
			line, err = s.int()
		default:
			err = s.skip()
		}
		return err
	})
	if f.Function == "" {
		f.Function = AnonymousFunction
	}
	if line >= 0 && line < math.MaxInt64 {
		f.Line = line + 1
	}
	return f, err
}

// stacks writes the profile's frames and stacks: one stack per trie entry
// with samples or bytes, in the order of the first node that gave it some,
// frames leaf first. It refuses, before writing any, stacks that would hold
// more than limit frames in all: a chain of n nodes, each with bytes, holds
// n²/2.
func (t *heapTree) stacks(p *HeapProfile, limit int64) error {
	var total int64
	for _, st := range t.valued {
		total += int64(t.depth[st.entry])
	}
	if total > limit {
		return fmt.Errorf("%w: its stacks expand to more than %d frames, %d per byte of profile, which no real profile comes near", ErrMalformed, limit, MaxFramesPerByte)
	}
	// The indexes are done with: let them go before the stacks are made.
	p.Frames = t.table.list
	t.byPath, t.table, t.samples, t.slot = nil, nil, nil, nil
	slices.SortFunc(t.valued, func(a, b heapStack) int { return cmp.Compare(a.first, b.first) })
	pool := make([]int32, 0, total)
	p.Stacks = make([]HeapStack, len(t.valued))
	for i, st := range t.valued {
		start := len(pool)
		for e := st.entry; e >= 0; e = t.parent[e] {
			pool = append(pool, t.frame[e])
		}
		p.Stacks[i] = HeapStack{Frames: pool[start:len(pool):len(pool)], Samples: st.count, Bytes: st.bytesSz}
	}
	return nil
}

// samplingInterval infers V8's sampling interval from the smallest sample:
// V8 records each sample's size scaled by its sampling probability,
// s/(1-exp(-s/interval)), which is about interval+s/2 for the many small
// allocations, so the smallest one is within a few percent of the interval.
// It is rounded to a power of two when one is within 20%, as the intervals
// tools set are.
func samplingInterval(minSize int64) (int64, bool) {
	if minSize <= 0 {
		return 0, false
	}
	m := float64(minSize)
	if p := math.Exp2(math.Round(math.Log2(m))); math.Abs(p-m) <= 0.2*p {
		m = p
	}
	return int64(m), true
}
