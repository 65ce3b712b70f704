package diff

import (
	"cmp"
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/heapdiff/heapdiff/profile"
)

// Limits bound the size of a Detail, so that a report of two huge profiles
// stays small enough to open.
type Limits struct {
	// MinFraction folds call-tree nodes whose base and target values are
	// both below this fraction of the total, for every sample type, into one
	// node per parent.
	MinFraction float64
	// MaxNodes caps the call tree's nodes (folded nodes excluded): the
	// smallest go first. 0 means no cap.
	MaxNodes int
	// StacksPerRow keeps, for every row, the StacksPerRow stacks with the
	// largest change of each sample type (so up to StacksPerRow times the
	// number of types). 0 keeps every stack.
	StacksPerRow int
	// Rows is how many rows (from the first) get their stacks; 0 means all.
	Rows int
}

// DefaultLimits keep a detail of a large production profile to a few
// thousand call-tree nodes and a few stacks for each of the first rows.
var DefaultLimits = Limits{MinFraction: 0.0005, MaxNodes: 6000, StacksPerRow: 4, Rows: 400}

// Detail holds what a comparison's rows leave out: the merged call tree of
// both profiles, each row's call stacks, and the changes by site whatever the
// grouping. Explain computes it.
type Detail struct {
	// Tree is the call tree of both profiles merged by function, root
	// first, in depth-first order with each node's children sorted by name
	// (a folded node last). Tree[0] is the root: its values are the totals.
	Tree []Node
	// Stacks holds, for each of the comparison's rows (Stacks[i] for
	// Rows[i]), its largest call stacks sorted by the change of the shown
	// sample type, largest first. It is nil for rows beyond Limits.Rows.
	Stacks [][]StackChange
	// MoreStacks counts, for each row, the stacks Limits.StacksPerRow left
	// out of Stacks.
	MoreStacks []int
	// Sites holds a row for every allocation site (the comparison grouped
	// by site, whatever its own grouping), sorted as Compare sorts rows.
	Sites []Row
}

// Node is a function in the merged call tree, reached by one path of
// callers from the root.
type Node struct {
	// Name is the function's name (its address when unsymbolized); the root
	// is called "root".
	Name string
	// Parent is the index of the calling node in Detail.Tree, -1 for the root.
	Parent int32
	// Depth is 0 for the root, 1 for outermost functions (main, goexit), ...
	Depth int
	// Values holds, for every sample type, the change of everything
	// allocated below this node (its cumulative value).
	Values []Change
	// Folded is, for a node that stands for smaller siblings too small to
	// draw, how many it stands for; 0 for a function's own node.
	Folded int
}

// StackChange is one call stack of a row with its change for every sample
// type.
type StackChange struct {
	// Frames holds the stack's frames, innermost first, after Options.Hide.
	Frames []profile.Frame
	// Values holds one Change per sample type.
	Values []Change
}

// Explain computes the detail of comparison c, which Compare returned for
// the same profiles and options: the same stacks are kept, hidden, grouped
// and normalized. Only the rows that get stacks (Limits.Rows) are named, and
// only their stacks are kept; the call tree looks the others up in the
// profiles rather than copying them.
func Explain(base, target *profile.Profile, c *Comparison, opts Options, lim Limits) (*Detail, error) {
	_, baseIdx, targetIdx, _, err := commonTypes(base, target)
	if err != nil {
		return nil, err
	}
	nt := len(c.Types)
	e := &explainer{
		nt:        nt,
		acc:       newAccumulator(Options{By: opts.By, Focus: opts.Focus, Ignore: opts.Ignore, Hide: opts.Hide}, nt),
		hide:      opts.Hide != nil,
		stackKeys: map[string]int32{},
		names:     map[string]int32{},
	}
	e.shownRows(c, lim)
	for s, p := range []*profile.Profile{base, target} {
		idx := baseIdx
		if s == 1 {
			idx = targetIdx
		}
		e.add(s, p, idx, opts)
	}
	scale := e.normalizeFactors(opts.Normalize)

	e.buildTree(scale, lim.MinFraction)
	d := &Detail{Tree: e.tree(scale, lim)}
	d.Stacks, d.MoreStacks = e.rowStacks(c, scale, lim)
	if c.By == BySite && c.Rest.Rows == 0 {
		d.Sites = c.Rows
	} else {
		sites, err := Compare(base, target, Options{SampleIndex: opts.SampleIndex, Focus: opts.Focus, Ignore: opts.Ignore, Hide: opts.Hide, Normalize: opts.Normalize})
		if err != nil {
			return nil, err
		}
		d.Sites = sites.Rows
	}
	return d, nil
}

// explainer sums both profiles' stacks into a call tree and into stacks per
// row. Values are stored flat, item i, type t at i*nt+t, side 0 the base.
type explainer struct {
	nt   int
	acc  *accumulator // assigns row and stack groups exactly as Compare does
	hide bool         // Options.Hide is set

	side     [2]explainSide
	total    [2][]int64
	totalVar [2][]float64

	// The rows that get stacks (Limits.Rows), found by their key: for stack
	// rows the lines' groups (see stackKey), for the others the group's
	// rowKey. groupRow caches the row of each accumulator group met (-1
	// when it gets no stacks).
	shown    int
	stackRow map[string]int32
	rowIndex map[string]int32
	groupRow map[int32]int32

	// Stacks of the shown rows, told apart by their frames' lines as
	// Compare's stack grouping does; each is kept with the profile that
	// first had it, its frames there and its row.
	stackKeys map[string]int32
	stacks    []stackSums

	// Every kept stack, in the order eachStack gives them: path i is stack
	// pathStack[i] of side pathSide[i]. Its frames, values and variances
	// are looked up in the profile when needed, rather than copied: a
	// profile of millions of stacks would be held twice. With Hide, whose
	// frames differ from the profile's, path i's frames are
	// keptFrames[keptStart[i]:keptStart[i+1]].
	pathSide   []uint8
	pathStack  []int32
	keptFrames []int32
	keptStart  []int32

	// The call tree, pruned as it is built: node i.
	nodeName   []int32
	nodeParent []int32
	nodeFolded []int // how many small siblings a folded node stands for
	nodeVals   [2][]int64
	nodeVars   [2][]float64

	names    map[string]int32
	nameList []string
}

// explainSide is what the explainer needs of one profile to look its
// stacks up again.
type explainSide struct {
	p         *profile.Profile
	idx       []int // the compared types' indexes in the profile's values
	noise     noiseModel
	frameName []int32 // each frame's function name, in names
}

type stackSums struct {
	row    int32 // the index of the row in the comparison
	pf     *profileFrames
	frames []int32
	vals   [2][]int64
	vars   [2][]float64
}

// shownRows indexes the rows of c that get stacks, by key.
func (e *explainer) shownRows(c *Comparison, lim Limits) {
	n := len(c.Rows)
	if lim.Rows > 0 && n > lim.Rows {
		n = lim.Rows
	}
	e.shown = n
	e.stackRow = map[string]int32{}
	e.rowIndex = map[string]int32{}
	e.groupRow = map[int32]int32{}
	var key []byte
	for i, r := range c.Rows[:n] {
		r = r.Named()
		if e.acc.opts.By != ByStack {
			e.rowIndex[rowKey(r.Name, r.Frames)] = int32(i)
			continue
		}
		key = key[:0]
		for _, f := range r.Frames {
			key = binary.LittleEndian.AppendUint32(key, uint32(e.acc.lineGroupOf(f)))
		}
		e.stackRow[string(key)] = int32(i)
	}
}

// stackKey returns a stack's key: its lines' groups, as stackGroup makes it.
func (e *explainer) stackKey(pf *profileFrames, frames []int32, key []byte) []byte {
	key = key[:0]
	for _, f := range frames {
		key = binary.LittleEndian.AppendUint32(key, uint32(e.acc.lineGroup(pf, f)))
	}
	return key
}

// rowOf returns the index of the shown row a non-empty stack belongs to, or
// -1; key is the stack's key.
func (e *explainer) rowOf(pf *profileFrames, frames []int32, key []byte) int32 {
	if e.acc.opts.By == ByStack {
		if i, ok := e.stackRow[string(key)]; ok {
			return i
		}
		return -1
	}
	g, _ := e.acc.rowGroup(pf, frames, nil)
	i, ok := e.groupRow[g]
	if !ok {
		i, ok = e.rowIndex[rowKey(e.acc.infos[g].resolve())]
		if !ok {
			i = -1 // a row with no value left, cut by Top, or without stacks
		}
		e.groupRow[g] = i
	}
	return i
}

// pathFrames returns path i's frames, innermost first, after Hide.
func (e *explainer) pathFrames(i int) []int32 {
	if e.hide {
		return e.keptFrames[e.keptStart[i]:e.keptStart[i+1]]
	}
	sd := &e.side[e.pathSide[i]]
	return sd.p.Stacks[e.pathStack[i]].Frames
}

// pathValues writes path i's values and their variances into vals and vars,
// as eachStack gave them.
func (e *explainer) pathValues(i int, vals []int64, vars []float64) {
	sd := &e.side[e.pathSide[i]]
	st := &sd.p.Stacks[e.pathStack[i]]
	for t, j := range sd.idx {
		vals[t] = st.Values[j]
	}
	sd.noise.variances(vals, vars)
}

func (e *explainer) name(s string) int32 {
	if id, ok := e.names[s]; ok {
		return id
	}
	id := int32(len(e.nameList))
	e.names[s] = id
	e.nameList = append(e.nameList, s)
	return id
}

func (e *explainer) newNode(parent, name int32, folded int, vals [2][]int64, vars [2][]float64) int32 {
	n := int32(len(e.nodeName))
	e.nodeName = append(e.nodeName, name)
	e.nodeParent = append(e.nodeParent, parent)
	e.nodeFolded = append(e.nodeFolded, folded)
	for s := 0; s < 2; s++ {
		e.nodeVals[s] = append(e.nodeVals[s], vals[s]...)
		e.nodeVars[s] = append(e.nodeVars[s], vars[s]...)
	}
	return n
}

// buildTree merges the paths into a call tree one depth at a time, so that
// only nodes at least minFraction of a total (for some type and side) are
// ever kept: a node's value bounds its descendants'. Smaller children are
// summed into one folded node per parent. Huge profiles of unique stacks
// would otherwise make a tree of millions of nodes.
func (e *explainer) buildTree(scale []float64, minFraction float64) {
	nt := e.nt
	denom := make([]float64, nt)
	for t := range denom {
		denom[t] = math.Max(math.Abs(float64(e.total[0][t])*scale[t]), math.Abs(float64(e.total[1][t])))
	}
	small := func(vals [2][]int64, at int) bool {
		for t := 0; t < nt; t++ {
			w := math.Max(math.Abs(float64(vals[0][at+t])*scale[t]), math.Abs(float64(vals[1][at+t])))
			if denom[t] > 0 && w > 0 && w >= minFraction*denom[t] {
				return false
			}
		}
		return true
	}
	e.newNode(-1, e.name("root"), 0, e.total, e.totalVar)

	nPaths := len(e.pathSide)
	at := make([]int32, nPaths) // each path's node at the last depth; -1 once pruned
	cand := make([]int32, nPaths)
	pathVals := make([]int64, nt)
	pathVars := make([]float64, nt)
	type group struct {
		parent, name int32
	}
	for depth := 0; ; depth++ {
		index := map[group]int32{}
		var groups []group
		var vals [2][]int64
		var vars [2][]float64
		for i := 0; i < nPaths; i++ {
			cand[i] = -1
			if at[i] < 0 {
				continue
			}
			frames := e.pathFrames(i)
			if depth >= len(frames) {
				continue
			}
			// Paths run outermost first, stacks innermost first.
			g := group{at[i], e.side[e.pathSide[i]].frameName[frames[len(frames)-1-depth]]}
			k, ok := index[g]
			if !ok {
				k = int32(len(groups))
				index[g] = k
				groups = append(groups, g)
				for s := 0; s < 2; s++ {
					vals[s] = append(vals[s], make([]int64, nt)...)
					vars[s] = append(vars[s], make([]float64, nt)...)
				}
			}
			s := e.pathSide[i]
			e.pathValues(i, pathVals, pathVars)
			addValues(vals[s], int(k)*nt, pathVals)
			addVariances(vars[s], int(k)*nt, pathVars)
			cand[i] = k
		}
		if len(groups) == 0 {
			return
		}
		// Keep the large groups as nodes; fold the small ones per parent.
		node := make([]int32, len(groups))
		type fold struct {
			n    int
			vals [2][]int64
			vars [2][]float64
		}
		folds := map[int32]*fold{}
		var foldOrder []int32
		for k, g := range groups {
			one := [2][]int64{vals[0][k*nt : (k+1)*nt], vals[1][k*nt : (k+1)*nt]}
			oneVar := [2][]float64{vars[0][k*nt : (k+1)*nt], vars[1][k*nt : (k+1)*nt]}
			if !small(one, 0) {
				node[k] = e.newNode(g.parent, g.name, 0, one, oneVar)
				continue
			}
			node[k] = -1
			f, ok := folds[g.parent]
			if !ok {
				f = &fold{}
				for s := 0; s < 2; s++ {
					f.vals[s] = make([]int64, nt)
					f.vars[s] = make([]float64, nt)
				}
				folds[g.parent] = f
				foldOrder = append(foldOrder, g.parent)
			}
			f.n++
			for s := 0; s < 2; s++ {
				addValues(f.vals[s], 0, one[s])
				addVariances(f.vars[s], 0, oneVar[s])
			}
		}
		for _, parent := range foldOrder {
			f := folds[parent]
			e.newNode(parent, -1, f.n, f.vals, f.vars)
		}
		for i := range at {
			if cand[i] < 0 {
				at[i] = -1
			} else {
				at[i] = node[cand[i]]
			}
		}
	}
}

// add sums one profile's stacks into side s: its totals, its paths for the
// call tree, and the stacks of the shown rows.
func (e *explainer) add(s int, p *profile.Profile, idx []int, opts Options) {
	pf := newProfileFrames(p, opts)
	sd := &e.side[s]
	*sd = explainSide{p: p, idx: idx, noise: newNoiseModel(p, idx), frameName: make([]int32, len(p.Frames))}
	for i, f := range p.Frames {
		sd.frameName[i] = e.name(f.FunctionName())
	}
	e.total[s] = make([]int64, e.nt)
	e.totalVar[s] = make([]float64, e.nt)
	var key []byte
	eachStack(p, pf, idx, func(si int, frames []int32, vals []int64, vars []float64) {
		addValues(e.total[s], 0, vals)
		addVariances(e.totalVar[s], 0, vars)
		e.pathSide = append(e.pathSide, uint8(s))
		e.pathStack = append(e.pathStack, int32(si))
		if e.hide {
			if len(e.keptStart) == 0 {
				e.keptStart = append(e.keptStart, 0)
			}
			e.keptFrames = append(e.keptFrames, frames...)
			e.keptStart = append(e.keptStart, int32(len(e.keptFrames)))
		}
		if len(frames) == 0 || e.shown == 0 {
			return
		}
		key = e.stackKey(pf, frames, key)
		row := e.rowOf(pf, frames, key)
		if row < 0 {
			return
		}
		id, ok := e.stackKeys[string(key)]
		if !ok {
			id = int32(len(e.stacks))
			e.stackKeys[string(key)] = id
			st := stackSums{row: row, pf: pf, frames: slices.Clone(frames)}
			for side := 0; side < 2; side++ {
				st.vals[side] = make([]int64, e.nt)
				st.vars[side] = make([]float64, e.nt)
			}
			e.stacks = append(e.stacks, st)
		}
		sums := &e.stacks[id]
		addValues(sums.vals[s], 0, vals)
		addVariances(sums.vars[s], 0, vars)
	})
}

func addValues(dst []int64, at int, v []int64) {
	for t, x := range v {
		dst[at+t] += x
	}
}

func addVariances(dst []float64, at int, v []float64) {
	for t, x := range v {
		dst[at+t] += x
	}
}

// normalizeFactors returns the factor Compare scales each type's base
// values by (1 when it does not).
func (e *explainer) normalizeFactors(normalize bool) []float64 {
	f := make([]float64, e.nt)
	for t := range f {
		f[t] = 1
		if normalize {
			f[t], _ = normalizeFactor(e.total[0][t], e.total[1][t])
		}
	}
	return f
}

// changes builds the Changes of item at (flat index i*nt) from both sides'
// values, scaling the base by scale.
func changes(vals [2][]int64, vars [2][]float64, at int, scale []float64) []Change {
	out := make([]Change, len(scale))
	for t, f := range scale {
		b, vb := vals[0][at+t], vars[0][at+t]
		if f != 1 {
			b = int64(math.Round(float64(b) * f))
			vb *= f * f
		}
		out[t] = change(b, vals[1][at+t], vb, vars[1][at+t])
	}
	return out
}

// tree prunes, folds and orders the call tree.
func (e *explainer) tree(scale []float64, lim Limits) []Node {
	n := len(e.nodeName)
	nt := e.nt
	// A node's weight is its largest share of a total, over types and sides.
	weight := make([]float64, n)
	for t := 0; t < nt; t++ {
		denom := math.Max(math.Abs(float64(e.nodeVals[0][t])*scale[t]), math.Abs(float64(e.nodeVals[1][t])))
		if denom == 0 {
			continue
		}
		for i := 0; i < n; i++ {
			w := math.Max(math.Abs(float64(e.nodeVals[0][i*nt+t])*scale[t]), math.Abs(float64(e.nodeVals[1][i*nt+t]))) / denom
			weight[i] = math.Max(weight[i], w)
		}
	}
	keep := make([]bool, n)
	for i := range keep {
		keep[i] = i == 0 || e.nodeFolded[i] == 0 && weight[i] >= lim.MinFraction && weight[i] > 0
	}
	if lim.MaxNodes > 0 {
		order := make([]int, 0, n)
		for i := range keep {
			if keep[i] {
				order = append(order, i)
			}
		}
		if len(order) > lim.MaxNodes {
			// Parents are created before their children, so on equal weight
			// the parent ranks first.
			slices.SortFunc(order, func(a, b int) int {
				if c := cmp.Compare(weight[b], weight[a]); c != 0 {
					return c
				}
				return cmp.Compare(a, b)
			})
			for _, i := range order[lim.MaxNodes:] {
				if i != 0 {
					keep[i] = false
				}
			}
		}
	}
	children := make([][]int32, n)
	for i := 1; i < n; i++ {
		p := e.nodeParent[i]
		children[p] = append(children[p], int32(i))
	}
	var out []Node
	var walk func(i int32, parent int32, depth int)
	walk = func(i int32, parent int32, depth int) {
		at := int32(len(out))
		out = append(out, Node{Name: e.nameList[e.nodeName[i]], Parent: parent, Depth: depth,
			Values: changes(e.nodeVals, e.nodeVars, int(i)*nt, scale)})
		kids := children[i]
		name := func(k int32) string {
			if e.nodeFolded[k] > 0 {
				return ""
			}
			return e.nameList[e.nodeName[k]]
		}
		slices.SortFunc(kids, func(a, b int32) int {
			return cmp.Or(strings.Compare(name(a), name(b)), cmp.Compare(a, b))
		})
		var folded [2][]int64
		var foldedVar [2][]float64
		nFolded := 0
		for _, k := range kids {
			if keep[k] {
				walk(k, at, depth+1)
				continue
			}
			if nFolded == 0 {
				for s := 0; s < 2; s++ {
					folded[s] = make([]int64, nt)
					foldedVar[s] = make([]float64, nt)
				}
			}
			nFolded += max(1, e.nodeFolded[k])
			for s := 0; s < 2; s++ {
				addValues(folded[s], 0, e.nodeVals[s][int(k)*nt:int(k+1)*nt])
				addVariances(foldedVar[s], 0, e.nodeVars[s][int(k)*nt:int(k+1)*nt])
			}
		}
		if nFolded > 0 {
			out = append(out, Node{Name: "(" + strconv.Itoa(nFolded) + " smaller)", Parent: at, Depth: depth + 1,
				Values: changes(folded, foldedVar, 0, scale), Folded: nFolded})
		}
	}
	walk(0, -1, 0)
	return out
}

// rowStacks picks each shown row's largest stacks.
func (e *explainer) rowStacks(c *Comparison, scale []float64, lim Limits) ([][]StackChange, []int) {
	all := make([][]candidate, e.shown)
	for si := range e.stacks {
		sums := &e.stacks[si]
		all[sums.row] = append(all[sums.row], candidate{int32(si), StackChange{Values: changes(sums.vals, sums.vars, 0, scale)}})
	}
	more := make([]int, len(c.Rows))
	out := make([][]StackChange, len(c.Rows))
	for i := 0; i < e.shown; i++ {
		var kept []candidate
		kept, more[i] = largestStacks(all[i], c.Index, lim.StacksPerRow)
		out[i] = make([]StackChange, len(kept))
		for k, s := range kept {
			s.Frames = e.stacks[s.id].frameList()
			out[i][k] = s.StackChange
		}
	}
	return out, more
}

// candidate is a stack that may be kept: its frames are only looked up if
// it is.
type candidate struct {
	id int32
	StackChange
}

// frameList returns the stack's frames, innermost first.
func (s *stackSums) frameList() []profile.Frame {
	fs := make([]profile.Frame, len(s.frames))
	for i, f := range s.frames {
		fs[i] = s.pf.frames[f]
	}
	return fs
}

// largestStacks keeps the perType stacks with the largest |delta| of every
// type, sorted by |delta| of type shown, and says how many it dropped.
func largestStacks(stacks []candidate, shown, perType int) ([]candidate, int) {
	byDelta := func(t int) func(a, b candidate) int {
		return func(a, b candidate) int {
			return cmp.Or(cmp.Compare(abs64(b.Values[t].Delta()), abs64(a.Values[t].Delta())),
				cmp.Compare(abs64(b.Values[t].Target), abs64(a.Values[t].Target)))
		}
	}
	if perType > 0 && len(stacks) > perType {
		nTypes := len(stacks[0].Values)
		chosen := make([]bool, len(stacks))
		order := make([]int, len(stacks))
		for t := 0; t < nTypes; t++ {
			for i := range order {
				order[i] = i
			}
			slices.SortStableFunc(order, func(a, b int) int { return byDelta(t)(stacks[a], stacks[b]) })
			for _, i := range order[:perType] {
				chosen[i] = true
			}
		}
		kept := stacks[:0:0]
		for i, s := range stacks {
			if chosen[i] {
				kept = append(kept, s)
			}
		}
		more := len(stacks) - len(kept)
		slices.SortStableFunc(kept, byDelta(shown))
		return kept, more
	}
	slices.SortStableFunc(stacks, byDelta(shown))
	return stacks, 0
}

// SumRows adds rows up, with their noise, as Compare sums the rows that
// Options.Top cuts into Comparison.Rest.
func SumRows(rows []Row, nTypes int) Rest { return sumRows(rows, nTypes) }

// rowKey identifies a row by its name and frames: names alone can repeat.
func rowKey(name string, frames []profile.Frame) string {
	var b strings.Builder
	b.WriteString(name)
	for _, f := range frames {
		b.WriteString("\x00" + f.Function + "\x00" + f.File + "\x00" + itoa(f.Line) + "\x00" + f.Module + "\x00" + strconv.FormatUint(f.Address, 16))
	}
	return b.String()
}
