package v8

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// referenceHeapProfile is the sampling heap profile decoder this package
// used before it streamed: encoding/json builds the whole tree, then each
// node with samples or bytes gets a copy of its path. It is quadratic on
// deep trees and takes 100 bytes a node, but it is plainly right, so the
// streaming decoder is checked against it. It returns each stack as frames,
// in the order of the stacks, and the frame table.
func referenceHeapProfile(t *testing.T, data []byte) (stacks []string, frames []CallFrame) {
	t.Helper()
	type node struct {
		CallFrame struct {
			FunctionName string `json:"functionName"`
			URL          string `json:"url"`
			LineNumber   int64  `json:"lineNumber"`
		} `json:"callFrame"`
		SelfSize int64   `json:"selfSize"`
		ID       int64   `json:"id"`
		Children []*node `json:"children"`
	}
	var hp struct {
		Head    *node `json:"head"`
		Samples []struct {
			Size   int64 `json:"size"`
			NodeID int64 `json:"nodeId"`
		} `json:"samples"`
	}
	if err := json.Unmarshal(data, &hp); err != nil {
		t.Fatal(err)
	}
	samples := map[int64]int64{}
	for _, s := range hp.Samples {
		samples[s.NodeID]++
	}
	index := map[CallFrame]int32{}
	byKey := map[string]int{}
	var values [][2]int64
	type item struct {
		n    *node
		path []int32
	}
	todo := []item{{hp.Head, nil}}
	for len(todo) > 0 {
		it := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		n, path := it.n, it.path
		if n == nil {
			continue
		}
		if len(it.path) > 0 || n != hp.Head || n.CallFrame.FunctionName != "(root)" {
			f := CallFrame{Function: n.CallFrame.FunctionName, URL: n.CallFrame.URL}
			if f.Function == "" {
				f.Function = AnonymousFunction
			}
			if n.CallFrame.LineNumber >= 0 {
				f.Line = n.CallFrame.LineNumber + 1
			}
			fi, ok := index[f]
			if !ok {
				fi = int32(len(frames))
				frames = append(frames, f)
				index[f] = fi
			}
			path = append(slices.Clone(path), fi)
		}
		if count := samples[n.ID]; (count > 0 || n.SelfSize != 0) && len(path) > 0 {
			key := fmt.Sprint(path)
			si, ok := byKey[key]
			if !ok {
				si = len(stacks)
				byKey[key] = si
				stacks = append(stacks, key)
				values = append(values, [2]int64{})
			}
			values[si][0] += count
			values[si][1] += n.SelfSize
		}
		for i := len(n.Children) - 1; i >= 0; i-- {
			todo = append(todo, item{n.Children[i], path})
		}
	}
	for i := range stacks {
		stacks[i] += fmt.Sprint(values[i])
	}
	return stacks, frames
}

// describeHeapStacks renders a profile's stacks as referenceHeapProfile does:
// frame indexes root first, then the values.
func describeHeapStacks(p *HeapProfile) []string {
	var out []string
	for _, st := range p.Stacks {
		path := slices.Clone(st.Frames)
		slices.Reverse(path)
		out = append(out, fmt.Sprint(path)+fmt.Sprint([2]int64{st.Samples, st.Bytes}))
	}
	return out
}

// randomHeapProfile builds a random call tree, with frames drawn from a few
// names, files and lines so that paths repeat and merge, and random samples.
func randomHeapProfile(r *rand.Rand) map[string]any {
	id := int64(0)
	var build func(depth int) map[string]any
	build = func(depth int) map[string]any {
		id++
		n := map[string]any{
			"callFrame": map[string]any{
				"functionName": []string{"", "f", "g", "(root)", "h\u00e9\t\"q\""}[r.IntN(5)],
				"url":          []string{"", "a.js", "node:b"}[r.IntN(3)],
				"lineNumber":   r.IntN(4) - 1,
				"scriptId":     "1",
			},
			"selfSize": []int{0, 0, 16, 1 << 20}[r.IntN(4)],
			"id":       id,
		}
		var children []any
		if depth < 8 {
			for range r.IntN(4) {
				children = append(children, build(depth+1))
			}
		}
		n["children"] = children
		return n
	}
	head := build(0)
	if r.IntN(4) > 0 {
		head["callFrame"].(map[string]any)["functionName"] = "(root)"
	}
	var samples []any
	for range r.IntN(40) {
		samples = append(samples, map[string]any{"size": 1000 + r.IntN(100000), "nodeId": r.Int64N(id + 2), "ordinal": 1})
	}
	return map[string]any{"head": head, "samples": samples}
}

// TestHeapProfileMatchesReference decodes random call trees, and the real
// profiles of testdata/node, with the streaming decoder and with the
// reference one: same stacks, same values, same order, same frame table.
// encoding/json writes the members of each object in sorted order
// (callFrame, children, id, selfSize), so a node's id and bytes come after
// its children, as after `jq -S`; the real files have them before.
func TestHeapProfileMatchesReference(t *testing.T) {
	check := func(t *testing.T, data []byte) {
		t.Helper()
		p, err := ParseHeapProfile(data)
		if err != nil {
			t.Fatal(err)
		}
		wantStacks, wantFrames := referenceHeapProfile(t, data)
		if got := describeHeapStacks(p); !reflect.DeepEqual(got, wantStacks) {
			t.Errorf("stacks:\ngot  %q\nwant %q", got, wantStacks)
		}
		frames := append([]CallFrame(nil), p.Frames...)
		if !reflect.DeepEqual(frames, wantFrames) {
			t.Errorf("frames:\ngot  %v\nwant %v", frames, wantFrames)
		}
	}
	r := rand.New(rand.NewPCG(11, 1))
	for i := range 300 {
		data, err := json.Marshal(randomHeapProfile(r))
		if err != nil {
			t.Fatal(err)
		}
		t.Run(fmt.Sprint("random", i), func(t *testing.T) { check(t, data) })
	}
	for _, name := range []string{"before.heapprofile.gz", "after.heapprofile.gz"} {
		data := gunzipFile(t, nodeData+name)
		t.Run(name, func(t *testing.T) { check(t, data) })
		var doc any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		sorted, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name+" sorted", func(t *testing.T) { check(t, sorted) })
	}
}

// The interval heapdiff capture records wins over the one the samples
// suggest; without it a profile with no samples (the baseline taken as
// sampling starts) falls back to node --heap-prof's default; a malformed
// record is not taken.
func TestHeapProfileInterval(t *testing.T) {
	const head = `"head":{"callFrame":{"functionName":"(root)","url":"","lineNumber":-1},"selfSize":0,"id":1,"children":[]}`
	const sample = `"samples":[{"size":33000,"nodeId":1,"ordinal":1}]`
	for _, tc := range []struct {
		doc                string
		interval           int64
		recorded, inferred bool
	}{
		{`{` + head + `,"samples":[]}`, DefaultSamplingInterval, false, false},
		{`{` + head + `,` + sample + `}`, 32768, false, true},
		{`{"heapdiff":["` + IntervalComment + `=4096"],` + head + `,"samples":[]}`, 4096, true, false},
		{`{"heapdiff":["` + IntervalComment + `=4096"],` + head + `,` + sample + `}`, 4096, true, false},
		{`{"heapdiff":["` + IntervalComment + `=-5"],` + head + `,` + sample + `}`, 32768, false, true},
	} {
		p, err := ParseHeapProfile([]byte(tc.doc))
		if err != nil {
			t.Fatalf("%s: %v", tc.doc, err)
		}
		if p.Interval != tc.interval || p.IntervalRecorded != tc.recorded || p.IntervalInferred != tc.inferred {
			t.Errorf("%s: interval %d, recorded %v, inferred %v; want %d, %v, %v", tc.doc, p.Interval, p.IntervalRecorded,
				p.IntervalInferred, tc.interval, tc.recorded, tc.inferred)
		}
	}
}
