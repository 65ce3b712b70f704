package profile

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// FormatV8HeapProfile names V8 sampling heap profiles (.heapprofile), as
// written by node --heap-prof and DevTools' "Allocation sampling".
const FormatV8HeapProfile = "v8 sampling heap profile"

// DefaultV8SamplingInterval is node --heap-prof's sampling interval, assumed
// when a profile does not let us infer its own.
const DefaultV8SamplingInterval = 512 * 1024

// v8HeapProfile is the JSON of a sampling heap profile: a call tree whose
// nodes carry the sampled bytes allocated (and still live) in them, and the
// list of samples. The file is small (one node per call path), so
// encoding/json reads it.
type v8HeapProfile struct {
	Head    *v8HeapNode `json:"head"`
	Samples []struct {
		Size   int64 `json:"size"`
		NodeID int64 `json:"nodeId"`
	} `json:"samples"`
}

type v8HeapNode struct {
	CallFrame struct {
		FunctionName string          `json:"functionName"`
		URL          string          `json:"url"`
		LineNumber   int64           `json:"lineNumber"`
		ScriptID     json.RawMessage `json:"scriptId"`
	} `json:"callFrame"`
	SelfSize int64         `json:"selfSize"`
	ID       int64         `json:"id"`
	Children []*v8HeapNode `json:"children"`
}

// parseV8HeapProfile reduces a sampling heap profile to the model: each call
// tree node with samples is a stack (leaf first, without the "(root)" node),
// valued objects/count (the number of samples, not scaled) and space/bytes
// (selfSize: V8's estimate of the live bytes, scaled for sampling). Lines are
// 0-based in the file and made 1-based; empty function names are shown as
// "(anonymous)", as DevTools does.
func parseV8HeapProfile(data []byte) (*Profile, error) {
	var hp v8HeapProfile
	if err := json.Unmarshal(data, &hp); err != nil {
		return nil, fmt.Errorf("%w: sampling heap profile: %v", ErrMalformed, err)
	}
	if hp.Head == nil {
		return nil, fmt.Errorf("%w: sampling heap profile has no head node", ErrMalformed)
	}
	samples := map[int64]int64{}
	var minSize int64
	for _, s := range hp.Samples {
		samples[s.NodeID]++
		if s.Size > 0 && (minSize == 0 || s.Size < minSize) {
			minSize = s.Size
		}
	}

	p := &Profile{
		Format:            FormatV8HeapProfile,
		SampleTypes:       []ValueType{{"objects", "count"}, {"space", "bytes"}},
		DefaultSampleType: "space",
		PeriodType:        ValueType{"space", "bytes"},
	}
	table := newFrameTable(p, 0)
	stackIndex := map[string]int{}
	// Walk the tree without recursion; path holds the frames from the
	// root's child down to the current node.
	type item struct {
		n     *v8HeapNode
		depth int
	}
	var path []int32
	todo := []item{{hp.Head, 0}}
	for len(todo) > 0 {
		it := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		n := it.n
		if n == nil {
			continue
		}
		path = path[:it.depth]
		if it.depth > 0 || n.CallFrame.FunctionName != "(root)" {
			f := Frame{Function: n.CallFrame.FunctionName, File: n.CallFrame.URL}
			if f.Function == "" {
				f.Function = AnonymousFunction
			}
			if n.CallFrame.LineNumber >= 0 {
				f.Line = n.CallFrame.LineNumber + 1
			}
			path = append(path, table.add(f))
		}
		if count := samples[n.ID]; (count > 0 || n.SelfSize != 0) && len(path) > 0 {
			frames := slices.Clone(path)
			slices.Reverse(frames)
			key := string(appendStackKey(nil, frames))
			si, ok := stackIndex[key]
			if !ok {
				si = len(p.Stacks)
				stackIndex[key] = si
				p.Stacks = append(p.Stacks, Stack{Frames: frames, Values: make([]int64, 2)})
			}
			p.Stacks[si].Values[0] += count
			p.Stacks[si].Values[1] += n.SelfSize
		}
		for i := len(n.Children) - 1; i >= 0; i-- {
			todo = append(todo, item{n.Children[i], len(path)})
		}
	}
	p.Period = DefaultV8SamplingInterval
	if r, ok := samplingInterval(minSize); ok {
		p.Period = r
		p.Comments = append(p.Comments, "sampling interval "+strconv.FormatInt(r, 10)+" bytes (inferred from the samples)")
	} else {
		p.Comments = append(p.Comments, "sampling interval unknown; assumed 512 KiB, node --heap-prof's default")
	}
	return p, nil
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
