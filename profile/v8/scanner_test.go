package v8

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// smallSnapshot has every part of a snapshot heapdiff reads: header,
// nodes (with trace node ids and detachedness), edges, allocation traces,
// samples, locations, and strings with escapes and a surrogate pair;
// numbers of up to ten digits.
const smallSnapshot = `{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","trace_node_id","detachedness"],` +
	`"node_types":[["object","synthetic"],"string","number","number","number","number","number"],` +
	`"edge_fields":["type","name_or_index","to_node"],"edge_types":[["property","element"],"string_or_number","node"],` +
	`"trace_function_info_fields":["function_id","name","script_name","script_id","line","column"],` +
	`"trace_node_fields":["id","function_info_index","count","size","children"],` +
	`"sample_fields":["timestamp_us","last_assigned_id"],"location_fields":["object_index","script_id","line","column"]},` +
	`"node_count":4,"edge_count":3,"trace_function_count":1},` +
	"\n" + `"nodes":[1,0,1,0,3,0,0` + "\n" + `,0,1,1234567,10,0,1,0` + "\n" + `,0,2,4294967295,20,0,1,0` + "\n" + `,0,1,7,30,0,0,0],` +
	"\n" + `"edges":[0,1,7,1,3,14,0,1,21],` +
	"\n" + `"trace_function_infos":[1,3,4,5,10,2],` +
	"\n" + `"trace_tree":[0,0,0,0,[1,0,2,30,[]]],` +
	"\n" + `"samples":[10,20],` +
	"\n" + `"locations":[7,5,1,2],` +
	"\n" + `"strings":["","A","B\u00e9\n\"x\"","f \ud83d\ude00","s.js","x"]}`

// shortReader returns at most n bytes a read, as a gzip stream may.
type shortReader struct {
	r io.Reader
	n int
}

func (s *shortReader) Read(p []byte) (int, error) { return s.r.Read(p[:min(len(p), s.n)]) }

// TestCutSnapshotSaysItEnds cuts a small snapshot at every byte: each cut
// is refused as malformed, saying the input ended, whether read from memory
// or as a stream returning one byte (or a few) at a time. A cut inside a
// number used to read the digits before the cut as the number, so that an
// edge's target cut from 21 to 2 was "not a node index".
func TestCutSnapshotSaysItEnds(t *testing.T) {
	data := []byte(smallSnapshot)
	if _, err := ParseSnapshot(data, ReadOptions{}); err != nil {
		t.Fatalf("the whole snapshot: %v", err)
	}
	for cut := range len(data) {
		part := data[:cut]
		_, err := ParseSnapshot(part, ReadOptions{})
		if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "unexpected end of input") {
			t.Errorf("cut after %q: %v, want a malformed snapshot ending unexpectedly", tail(part), err)
			continue
		}
		for _, r := range []io.Reader{iotest.OneByteReader(bytes.NewReader(part)), &shortReader{bytes.NewReader(part), 5}} {
			if _, serr := ReadSnapshot(r, 0, ReadOptions{}); serr == nil || serr.Error() != err.Error() {
				t.Errorf("cut after %q, streamed: %v, want %v as from memory", tail(part), serr, err)
			}
		}
	}
}

// TestShortReadsReadWholeNumbers: a stream that returns a few bytes a read
// gives the same snapshot as memory (a number split between two reads was
// read as two).
func TestShortReadsReadWholeNumbers(t *testing.T) {
	want, err := ParseSnapshot([]byte(smallSnapshot), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 7; n++ {
		got, err := ReadSnapshot(&shortReader{strings.NewReader(smallSnapshot), n}, 0, ReadOptions{})
		if err != nil {
			t.Fatalf("%d bytes a read: %v", n, err)
		}
		for v := range uint32(want.NodeCount()) {
			if got.NodeID(v) != want.NodeID(v) || got.SelfSize(v) != want.SelfSize(v) {
				t.Errorf("%d bytes a read: node %d has id %d and size %d, want %d and %d", n, v, got.NodeID(v), got.SelfSize(v), want.NodeID(v), want.SelfSize(v))
			}
		}
	}
}

// TestCutRealSnapshotInsideNumbers cuts a real Bun snapshot inside numbers
// of its nodes and edges arrays, spread over them: each says the input
// ended.
func TestCutRealSnapshotInsideNumbers(t *testing.T) {
	data := gunzipFile(t, nodeData+"bun-before.heapsnapshot.gz")
	start := bytes.Index(data, []byte(`"nodes":[`))
	end := bytes.Index(data, []byte(`"strings":[`))
	if start < 0 || end < start {
		t.Fatal("no nodes and strings arrays")
	}
	cuts := 0
	for at := start; at < end && cuts < 60; at += (end - start) / 80 {
		// The next place that has a digit on both sides.
		for at < end && !(isDigit(data[at-1]) && isDigit(data[at])) {
			at++
		}
		_, err := ParseSnapshot(data[:at], ReadOptions{})
		if err == nil || !strings.Contains(err.Error(), "unexpected end of input in a number") {
			t.Errorf("cut at %d, after %q: %v", at, tail(data[:at]), err)
		}
		cuts++
	}
	if cuts < 40 {
		t.Errorf("only %d cuts", cuts)
	}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// tail is the end of b, for messages.
func tail(b []byte) string { return string(b[max(0, len(b)-24):]) }

// TestNumberPastUint64: a number one more than the largest uint64 is too
// large, not wrapped to 0.
func TestNumberPastUint64(t *testing.T) {
	for _, n := range []string{"18446744073709551616", "18446744073709551619", "99999999999999999999"} {
		s := newBytesScanner([]byte(n + ","))
		if v, err := s.uint(); err == nil || !strings.Contains(err.Error(), "too large") {
			t.Errorf("%s read as %d, %v", n, v, err)
		}
	}
	s := newBytesScanner([]byte("18446744073709551615,"))
	if v, err := s.uint(); err != nil || v != 1<<64-1 {
		t.Errorf("the largest uint64 read as %d, %v", v, err)
	}
}
