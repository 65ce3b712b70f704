package v8

// scratch lends the analysis arrays of one length, a uint32 for each node
// and two more: a step borrows the arrays it needs and gives them back when
// it is done, and a later step takes them again. The analysis of a snapshot
// of n nodes goes through a dozen such arrays, nine of them live at once at
// most (in the dominator tree's construction); allocating each afresh would
// leave the dead ones to the garbage collector while the next step allocates
// its own, and a snapshot's peak memory went to twice its size so.
type scratch struct {
	n    int // the nodes: arrays hold n+2 values
	free [][]uint32
	made int // arrays allocated, for tests
}

func newScratch(nodes int) *scratch { return &scratch{n: nodes} }

// get lends an array of k zeros, k at most n+2.
func (s *scratch) get(k int) []uint32 {
	if k > s.n+2 {
		panic("scratch: an array longer than the nodes")
	}
	if len(s.free) == 0 {
		s.made++
		return make([]uint32, k, s.n+2)
	}
	a := s.free[len(s.free)-1]
	s.free = s.free[:len(s.free)-1]
	a = a[:k]
	clear(a)
	return a
}

// put takes back arrays get lent (or slices of them).
func (s *scratch) put(arrays ...[]uint32) {
	for _, a := range arrays {
		if cap(a) == s.n+2 {
			s.free = append(s.free, a[:0])
		}
	}
}
