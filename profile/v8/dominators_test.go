package v8

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// randomGraph makes a graph of n nodes with about deg edges per node, some
// of them marked non-essential.
func randomGraph(r *rand.Rand, n, deg int) *domGraph {
	g := &domGraph{firstEdge: make([]uint32, n+1), essential: newBitset(n * deg * 2)}
	for v := 0; v < n; v++ {
		k := r.IntN(2 * deg)
		for range k {
			e := uint32(len(g.to))
			g.to = append(g.to, uint32(r.IntN(n)))
			if r.IntN(5) > 0 {
				g.essential.set(e)
			}
		}
		g.firstEdge[v+1] = uint32(len(g.to))
	}
	g.root = uint32(r.IntN(n))
	return g
}

// reachable returns the nodes reachable from the root over essential edges
// when node removed (-1 for none) is taken out of the graph. As in DevTools,
// nodes that no essential edge retains count as retained by the root.
func (g *domGraph) reachable(removed int) []bool {
	n := len(g.firstEdge) - 1
	retained := make([]bool, n)
	for e, w := range g.to {
		if g.isEssential(uint32(e)) {
			retained[w] = true
		}
	}
	seen := make([]bool, n)
	if int(g.root) == removed {
		return seen
	}
	seen[g.root] = true
	todo := []uint32{g.root}
	for v := range n {
		if !retained[v] && v != int(g.root) && v != removed {
			seen[v] = true
			todo = append(todo, uint32(v))
		}
	}
	for len(todo) > 0 {
		v := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		for e := g.firstEdge[v]; e < g.firstEdge[v+1]; e++ {
			if w := g.to[e]; g.isEssential(e) && !seen[w] && int(w) != removed {
				seen[w] = true
				todo = append(todo, w)
			}
		}
	}
	return seen
}

// TestDominatorsBruteForce checks the dominator tree against the definition:
// d dominates n iff removing d makes n unreachable from the root. The
// immediate dominator is the strict dominator that all others dominate.
// Retained sizes are checked the same way: what becomes unreachable when a
// node is removed, plus the node.
func TestDominatorsBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	tested := 0
	defer func() {
		if tested < 200 {
			t.Errorf("only %d of the random graphs were fully reachable", tested)
		}
	}()
	for iter := range 500 {
		n := 2 + r.IntN(14)
		g := randomGraph(r, n, 1+r.IntN(3))
		s := newScratch(n)
		idom, order := g.dominators(s)
		if len(order) != n || order[0] != g.root || idom[g.root] != g.root {
			t.Fatalf("graph %d: order %v, idom %v, root %d", iter, order, idom, g.root)
		}
		base := g.reachable(-1)
		if slices.Contains(base, false) {
			continue // a cycle retained by nothing: DevTools' answer is arbitrary there
		}
		tested++
		// doms[v] = set of strict dominators of v (reachable v only).
		doms := make([][]bool, n)
		for v := range n {
			doms[v] = make([]bool, n)
		}
		cut := make([][]bool, n) // cut[d][v]: v unreachable without d
		for d := range n {
			without := g.reachable(d)
			cut[d] = make([]bool, n)
			for v := range n {
				if base[v] && !without[v] {
					cut[d][v] = true
					if v != d {
						doms[v][d] = true
					}
				}
			}
		}
		self := make([]uint32, n)
		for v := range self {
			self[v] = uint32(1 + r.IntN(100))
		}
		lo, hi := retainedSizes(s, self, idom, order)
		for v := range n {
			if uint32(v) == g.root {
				continue
			}
			d := idom[v]
			if !doms[v][d] {
				t.Fatalf("graph %d: idom(%d) = %d, which does not dominate it", iter, v, d)
			}
			for o := range n {
				if doms[v][o] && o != int(d) && !doms[d][o] {
					t.Fatalf("graph %d: idom(%d) = %d, but dominator %d is closer", iter, v, d, o)
				}
			}
			var want uint64
			for w := range n {
				if cut[v][w] {
					want += uint64(self[w])
				}
			}
			if got := uint64(hi[v])<<32 | uint64(lo[v]); got != want {
				t.Fatalf("graph %d: retained(%d) = %d, want %d", iter, v, got, want)
			}
		}
	}
}

// TestDominatorsUnreachable checks DevTools' rule for nodes the root does not
// reach: they are dominated by the root, and what only they reach by them.
func TestDominatorsUnreachable(t *testing.T) {
	// 0 -> 1 (essential); 0 -> 2 (weak); 2 -> 3; 4 <-> 5 (a cycle retained by nothing).
	g := &domGraph{
		firstEdge: []uint32{0, 2, 2, 3, 3, 4, 5},
		to:        []uint32{1, 2, 3, 5, 4},
		essential: newBitset(5),
	}
	for _, e := range []uint32{0, 2, 3, 4} {
		g.essential.set(e)
	}
	s := newScratch(6)
	idom, order := g.dominators(s)
	want := []uint32{0, 0, 0, 2, 0, 0}
	for v, d := range want {
		if idom[v] != d {
			t.Errorf("idom(%d) = %d, want %d (all: %v)", v, idom[v], d, idom)
		}
	}
	lo, hi := retainedSizes(s, []uint32{0, 1, 10, 100, 1000, 10000}, idom, order)
	if lo[0] != 11111 || lo[2] != 110 || slices.ContainsFunc(hi, func(h uint32) bool { return h != 0 }) {
		t.Errorf("retained sizes %v (high halves %v): want the root to hold 11111 and node 2 to hold 110", lo, hi)
	}
}

// iterativeDominators is Cooper, Harvey and Kennedy's "A Simple, Fast
// Dominance Algorithm" (2001): quadratic at worst, but short and plainly
// right, for graphs whose every node the root reaches over all edges.
func iterativeDominators(g *domGraph) []uint32 {
	n := len(g.firstEdge) - 1
	preds := make([][]uint32, n)
	for v := range uint32(n) {
		for e := g.firstEdge[v]; e < g.firstEdge[v+1]; e++ {
			preds[g.to[e]] = append(preds[g.to[e]], v)
		}
	}
	// Postorder numbers, by an iterative depth-first search.
	post := make([]int, n)
	for i := range post {
		post[i] = -1
	}
	var rpo []uint32
	visited := make([]bool, n)
	type frame struct{ v, e uint32 }
	stack := []frame{{g.root, g.firstEdge[g.root]}}
	visited[g.root] = true
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		if f.e < g.firstEdge[f.v+1] {
			w := g.to[f.e]
			f.e++
			if !visited[w] {
				visited[w] = true
				stack = append(stack, frame{w, g.firstEdge[w]})
			}
			continue
		}
		post[f.v] = len(rpo)
		rpo = append(rpo, f.v)
		stack = stack[:len(stack)-1]
	}
	slices.Reverse(rpo)
	const undefined = ^uint32(0)
	idom := make([]uint32, n)
	for i := range idom {
		idom[i] = undefined
	}
	idom[g.root] = g.root
	intersect := func(a, b uint32) uint32 {
		for a != b {
			for post[a] < post[b] {
				a = idom[a]
			}
			for post[b] < post[a] {
				b = idom[b]
			}
		}
		return a
	}
	for changed := true; changed; {
		changed = false
		for _, v := range rpo[1:] {
			d := undefined
			for _, p := range preds[v] {
				switch {
				case idom[p] == undefined:
				case d == undefined:
					d = p
				default:
					d = intersect(p, d)
				}
			}
			if idom[v] != d {
				idom[v], changed = d, true
			}
		}
	}
	return idom
}

// TestDominatorsDeepGraphs checks the dominator tree of graphs of
// thousands of nodes, long chains with random edges forward and back, in
// which the forest Lengauer and Tarjan's algorithm links grows paths
// thousands of vertices long, against the iterative algorithm; and their
// retained sizes against sums over the iterative tree.
func TestDominatorsDeepGraphs(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	for iter := range 20 {
		n := 1000 + r.IntN(3000)
		g := &domGraph{firstEdge: make([]uint32, n+1)}
		for v := range n {
			if v+1 < n {
				g.to = append(g.to, uint32(v+1)) // the chain
			}
			for range r.IntN(3) {
				g.to = append(g.to, uint32(r.IntN(n)))
			}
			g.firstEdge[v+1] = uint32(len(g.to))
		}
		s := newScratch(n)
		idom, order := g.dominators(s)
		want := iterativeDominators(g)
		if !slices.Equal(idom, want) {
			t.Fatalf("graph %d of %d nodes: dominators differ from the iterative algorithm's", iter, n)
		}
		self := make([]uint32, n)
		for v := range self {
			self[v] = uint32(r.IntN(1 << 20))
		}
		lo, hi := retainedSizes(s, self, idom, order)
		sum := make([]uint64, n)
		for v := range n {
			for w := uint32(v); ; w = want[w] {
				sum[w] += uint64(self[v])
				if w == g.root {
					break
				}
			}
		}
		for v := range n {
			if got := uint64(hi[v])<<32 | uint64(lo[v]); got != sum[v] {
				t.Fatalf("graph %d: retained(%d) = %d, want %d", iter, v, got, sum[v])
			}
		}
	}
}

// TestRetainedSizesPast4GiB: a chain of three nodes of 3 GB each retains 9
// GB at its root, past what 32 bits hold.
func TestRetainedSizesPast4GiB(t *testing.T) {
	g := &domGraph{firstEdge: []uint32{0, 1, 2, 2}, to: []uint32{1, 2}}
	s := newScratch(3)
	idom, order := g.dominators(s)
	lo, hi := retainedSizes(s, []uint32{3e9, 3e9, 3e9}, idom, order)
	for v, want := range []uint64{9e9, 6e9, 3e9} {
		if got := uint64(hi[v])<<32 | uint64(lo[v]); got != want {
			t.Errorf("node %d retains %d, want %d", v, got, want)
		}
	}
}
