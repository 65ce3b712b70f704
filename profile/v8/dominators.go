package v8

// Retained sizes: the dominator tree of a heap snapshot, computed the way
// Chrome DevTools computes it (front_end/entrypoints/heap_snapshot_worker/
// HeapSnapshot.ts, buildDominatorTreeAndCalculateRetainedSizes), so that the
// numbers match what users see there:
//
//   - only essential edges count: not weak edges, not an object's edge to
//     itself, not shortcut edges except from the root (the root's shortcuts
//     mark user globals), not the table's edge of a WeakMap entry (the value
//     is charged to its key), and not an edge from an object outside the
//     page-owned part of the heap (what the root's shortcuts reach) into it;
//   - nodes reachable only through non-essential edges hang off the root,
//     as do any nodes still unreached (cycles retained by nothing);
//   - the tree is built with Lengauer and Tarjan's algorithm, "A fast
//     algorithm for finding dominators in a flowgraph" (1979), iteratively,
//     on arrays of uint32 numbered from 1, without per-node allocations.

// bitset is a fixed-size set of small integers.
type bitset []uint64

func newBitset(n int) bitset       { return make(bitset, (n+63)/64) }
func (b bitset) has(i uint32) bool { return b[i>>6]&(1<<(i&63)) != 0 }
func (b bitset) set(i uint32)      { b[i>>6] |= 1 << (i & 63) }

// domGraph is a directed graph in compressed sparse row form: node v's edges
// are firstEdge[v]:firstEdge[v+1], pointing at to[e]. Only the edges set in
// essential take part (all of them when essential is nil).
type domGraph struct {
	firstEdge []uint32
	to        []uint32
	essential bitset
	root      uint32
}

func (g *domGraph) isEssential(e uint32) bool { return g.essential == nil || g.essential.has(e) }

// dominators returns every node's immediate dominator (the root's is the
// root itself; nodes the root cannot reach are dominated by the root) and
// the depth-first order in which nodes were numbered, root first, which
// lists every node once: walking it backwards visits children before their
// dominators. Both are arrays borrowed from s, to give back when done; so
// are all the arrays the construction needs but one, the predecessors.
func (g *domGraph) dominators(s *scratch) (idom, order []uint32) {
	n := len(g.firstEdge) - 1
	size := n + 1 // vertices are numbered 1..n; 0 means none

	// Predecessors over essential edges, as vertex numbers.
	predStart := s.get(size + 1)
	for v := 0; v < n; v++ {
		for e := g.firstEdge[v]; e < g.firstEdge[v+1]; e++ {
			if g.isEssential(e) {
				predStart[g.to[e]+2]++
			}
		}
	}
	for i := 1; i <= size; i++ {
		predStart[i] += predStart[i-1]
	}
	pred := make([]uint32, predStart[size])
	fill := s.get(size)
	copy(fill, predStart[:size])
	for v := 0; v < n; v++ {
		for e := g.firstEdge[v]; e < g.firstEdge[v+1]; e++ {
			if g.isEssential(e) {
				w := g.to[e] + 1
				pred[fill[w]] = uint32(v + 1)
				fill[w]++
			}
		}
	}
	s.put(fill)

	parent := s.get(size)
	ancestor := s.get(size)
	vertex := s.get(size)
	label := s.get(size)
	semi := s.get(size)
	next := s.get(size) // next edge to examine, by ordinal
	var count uint32

	dfs := func(root uint32) {
		next[root-1] = g.firstEdge[root-1]
		for v := root; v != 0; {
			if semi[v] == 0 {
				count++
				semi[v] = count
				vertex[count], label[v] = v, v
			}
			vNext := parent[v]
			vo := v - 1
			for ; next[vo] < g.firstEdge[vo+1]; next[vo]++ {
				e := next[vo]
				if !g.isEssential(e) {
					continue
				}
				w := g.to[e] + 1
				if semi[w] == 0 {
					parent[w] = v
					next[w-1] = g.firstEdge[w-1]
					vNext = w
					break
				}
			}
			v = vNext
		}
	}
	r := g.root + 1
	dfs(r)
	if int(count) < n {
		// Nodes whose every retaining edge is non-essential (weak ones,
		// say) hang off the root, with what only they reach.
		for v := uint32(1); v <= uint32(n); v++ {
			if semi[v] == 0 && predStart[v] == predStart[v+1] {
				parent[v] = r
				dfs(v)
			}
		}
	}
	if int(count) < n {
		// Still unreached: cycles retained by nothing. Each hangs off the root.
		for v := uint32(1); v <= uint32(n); v++ {
			if semi[v] == 0 {
				parent[v] = r
				count++
				semi[v] = count
				vertex[count], label[v] = v, v
			}
		}
	}
	s.put(next)

	// compress shortens the path from v up the forest of linked vertices,
	// giving each vertex on it the label of least semidominator above it.
	// Its stack holds the path, from v up: a real snapshot's are a hundred
	// vertices long at most, a crafted one's as long as the graph.
	var stack []uint32
	compress := func(v uint32) {
		stack = stack[:0]
		for ancestor[ancestor[v]] != 0 {
			stack = append(stack, v)
			v = ancestor[v]
		}
		for i := len(stack) - 1; i >= 0; i-- {
			w := stack[i]
			if semi[label[ancestor[w]]] < semi[label[w]] {
				label[w] = label[ancestor[w]]
			}
			ancestor[w] = ancestor[ancestor[w]]
		}
	}
	eval := func(v uint32) uint32 {
		if ancestor[v] == 0 {
			return v
		}
		compress(v)
		return label[v]
	}

	dom := s.get(size)
	bucketHead := s.get(size)
	bucketNext := s.get(size)
	for i := count; i >= 2; i-- {
		w := vertex[i]
		orphan := true
		for p := predStart[w]; p < predStart[w+1]; p++ {
			orphan = false
			if u := eval(pred[p]); semi[u] < semi[w] {
				semi[w] = semi[u]
			}
		}
		if orphan {
			semi[w] = semi[r]
		}
		b := vertex[semi[w]]
		bucketNext[w] = bucketHead[b]
		bucketHead[b] = w
		ancestor[w] = parent[w] // link
		pw := parent[w]
		for v := bucketHead[pw]; v != 0; v = bucketNext[v] {
			if u := eval(v); semi[u] < semi[v] {
				dom[v] = u
			} else {
				dom[v] = pw
			}
		}
		bucketHead[pw] = 0
	}
	s.put(predStart, parent, ancestor, label, bucketHead, bucketNext)
	dom[0], dom[r] = r, r
	for i := uint32(2); i <= count; i++ {
		w := vertex[i]
		if dom[w] != vertex[semi[w]] {
			dom[w] = dom[dom[w]]
		}
	}
	s.put(semi)

	// Node v's dominator is vertex dom[v+1], and the i-th node numbered
	// vertex[i+1]: shift both arrays down in place.
	for v := 0; v < n; v++ {
		dom[v] = dom[v+1] - 1
	}
	for i := uint32(0); i < count; i++ {
		vertex[i] = vertex[i+1] - 1
	}
	return dom[:n], vertex[:count]
}

// retainedSizes sums self sizes up the dominator tree into arrays borrowed
// from s: node v retains hi[v]<<32 | lo[v] bytes. A sum past 4 GiB (a heap
// that large) carries into hi; two halves borrowed from s take the place of
// a uint64 array, which would be allocated when the dominator tree's arrays
// have just been given back.
func retainedSizes(s *scratch, self []uint32, idom, order []uint32) (lo, hi []uint32) {
	lo, hi = s.get(len(self)), s.get(len(self))
	copy(lo, self)
	for i := len(order) - 1; i > 0; i-- {
		v := order[i]
		d := idom[v]
		sum := uint64(lo[d]) + uint64(lo[v])
		lo[d] = uint32(sum)
		hi[d] += hi[v] + uint32(sum>>32)
	}
	return lo, hi
}
