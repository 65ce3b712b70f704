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
		idom, order := g.dominators()
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
		ret := retainedSizes(self, idom, order)
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
			if ret[v] != want {
				t.Fatalf("graph %d: retained(%d) = %d, want %d", iter, v, ret[v], want)
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
	idom, order := g.dominators()
	want := []uint32{0, 0, 0, 2, 0, 0}
	for v, d := range want {
		if idom[v] != d {
			t.Errorf("idom(%d) = %d, want %d (all: %v)", v, idom[v], d, idom)
		}
	}
	ret := retainedSizes([]uint32{0, 1, 10, 100, 1000, 10000}, idom, order)
	if ret[0] != 11111 || ret[2] != 110 {
		t.Errorf("retained sizes %v: want the root to hold 11111 and node 2 to hold 110", ret)
	}
}
