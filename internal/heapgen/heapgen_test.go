package heapgen

import (
	"bytes"
	"testing"

	"github.com/google/pprof/profile"
)

func encode(t *testing.T, p *profile.Profile) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPairIsDeterministic(t *testing.T) {
	b1, t1 := Pair(Small)
	b2, t2 := Pair(Small)
	if !bytes.Equal(encode(t, b1), encode(t, b2)) || !bytes.Equal(encode(t, t1), encode(t, t2)) {
		t.Error("the same config gave different profiles")
	}
	other := Small
	other.Seed = 2
	b3, _ := Pair(other)
	if bytes.Equal(encode(t, b1), encode(t, b3)) {
		t.Error("a different seed gave the same profile")
	}
}

func TestPairShape(t *testing.T) {
	base, target := Pair(Small)
	for _, p := range []*profile.Profile{base, target} {
		if err := p.CheckValid(); err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Sample {
			if d := len(s.Location); d < Small.MinDepth || d > Small.MaxDepth {
				t.Fatalf("stack of depth %d", d)
			}
		}
	}
	if len(base.Sample) != Small.Stacks {
		t.Errorf("base has %d stacks, want %d", len(base.Sample), Small.Stacks)
	}
	// Every ID is renumbered: the same function rarely keeps its ID.
	ids := map[string]uint64{}
	for _, f := range base.Function {
		ids[f.Name] = f.ID
	}
	same := 0
	for _, f := range target.Function {
		if ids[f.Name] == f.ID {
			same++
		}
	}
	if same > len(target.Function)/20 {
		t.Errorf("%d of %d functions kept their ID", same, len(target.Function))
	}
	// Stacks were added and removed.
	key := func(s *profile.Sample) string {
		var b bytes.Buffer
		for _, l := range s.Location {
			b.WriteString(l.Line[0].Function.Name)
			b.WriteByte(':')
			b.WriteString(string(rune(l.Line[0].Line)))
		}
		return b.String()
	}
	inBase := map[string]bool{}
	for _, s := range base.Sample {
		inBase[key(s)] = true
	}
	added := 0
	for _, s := range target.Sample {
		if !inBase[key(s)] {
			added++
		}
	}
	if added < Small.Stacks/20 || len(target.Sample)-added > Small.Stacks*95/100 {
		t.Errorf("target: %d stacks, %d new; want about 10%% new and 10%% removed", len(target.Sample), added)
	}
}
