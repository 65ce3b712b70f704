package profile

// frameTable interns frames into a profile's Frames table: every loader gives
// each distinct frame one index, which Stack.Frames then refers to.
type frameTable struct {
	p     *Profile
	index map[Frame]int32
}

// newFrameTable starts interning into p.Frames; hint sizes the index.
func newFrameTable(p *Profile, hint int) *frameTable {
	return &frameTable{p: p, index: make(map[Frame]int32, hint)}
}

// add returns f's index in p.Frames, appending f the first time it is seen.
func (t *frameTable) add(f Frame) int32 {
	i, ok := t.index[f]
	if !ok {
		i = int32(len(t.p.Frames))
		t.p.Frames = append(t.p.Frames, f)
		t.index[f] = i
	}
	return i
}
