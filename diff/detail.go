package diff

import (
	"cmp"
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/heapdiff/heapdiff/internal/fanout"
	"github.com/heapdiff/heapdiff/profile"
)

// DetailOptions ask Compare to keep, beside the rows, what a page that
// explains them draws (Comparison.Detail), and bound how much of it: a
// detail of two huge profiles must stay small enough to open. The zero value
// keeps everything. Keeping a detail costs memory and time in proportion
// to the profiles' stacks, so Compare computes none unless asked
// (Options.Detail).
type DetailOptions struct {
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
	// StackRows is how many rows (from the first) get their stacks; 0
	// means all.
	StackRows int
}

// Detail holds what a comparison's rows leave out: the merged call tree of
// both profiles, each row's call stacks, and the changes by allocation site
// whatever the grouping. Compare fills it in the same pass over the
// profiles as the rows, when Options.Detail asks for it.
type Detail struct {
	// Tree is the call tree of both profiles merged by function, root
	// first, in depth-first order with each node's children sorted by name
	// (a folded node last). Tree[0] is the root: its values are the totals.
	Tree []Node
	// Stacks holds, for each of the comparison's rows (Stacks[i] for
	// Rows[i]), its largest call stacks sorted by the change of the shown
	// sample type, largest first. It is nil for rows beyond
	// DetailOptions.StackRows.
	Stacks [][]StackChange
	// MoreStacks counts, for each row, the stacks DetailOptions.StacksPerRow
	// left out of Stacks.
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

// detailer collects a comparison's detail as Compare reduces the profiles:
// it notes every stack the filters keep, with the row group Compare put it
// in (see accumulator.add), and nothing more, so that the pass holds little
// beside the reductions. Once the rows are sorted and the reductions gone,
// it sums the stacks it noted by allocation site, picks the stacks of the
// first rows and builds the call tree, looking their frames and values up
// in the profiles. Values are stored flat, item i, type t at i*nt+t, side 0
// the base.
type detailer struct {
	opts DetailOptions
	nt   int
	hide bool // Options.Hide is set

	side     [2]detailSide
	total    [2][]int64   // the totals before Options.Normalize
	totalVar [2][]float64 // and their variances

	// Every kept stack with frames, in the order the reductions met them:
	// path i is stack pathStack[i] of side pathSide[i], in the row group
	// pathGroup[i]. Its frames, values and variances are looked up in the
	// profile when needed, rather than copied: a profile of millions of
	// stacks would be held twice. With Hide, whose frames differ from the
	// profile's, path i's frames are keptFrames[keptStart[i]:keptStart[i+1]].
	pathSide  []uint8
	pathStack []int32
	pathGroup []int32
	// pathVars holds path i's variances at i*nt: the reduction computed
	// them, and the call tree adds a path's values at every depth it
	// reaches, which would compute them again at each.
	pathVars   []float64
	keptFrames []int32
	keptStart  []int32

	// Source lines, across both profiles, told apart as Compare's line
	// groups are (by every field of the frame): line i is lineFrame[i].
	// Lines are numbered in the order the paths first have them as their
	// allocation site, so that sites tie as a comparison grouped by site
	// ties them; the lines of the shown rows' stacks come after.
	lines     map[profile.Frame]int32
	lineFrame []profile.Frame
	// siteVals and siteVars sum each line's values as an allocation site.
	siteVals [2][]int64
	siteVars [2][]float64

	// The call tree, pruned as it is built: node i.
	nodeName   []int32
	nodeParent []int32
	nodeFolded []int // how many small siblings a folded node stands for
	nodeVals   [2][]int64
	nodeVars   [2][]float64

	names    map[string]int32
	nameList []string
}

// detailSide is what the detailer needs of one profile to look its stacks
// up again.
type detailSide struct {
	p         *profile.Profile
	pf        *profileFrames
	idx       []int   // the compared types' indexes in the profile's values
	frameName []int32 // each frame's function name, in names
	frameLine []int32 // each frame's line, in lines; -1 until met
}

// newDetailer returns a detailer for a comparison of nt sample types, of
// profiles that have stacks stacks together.
func newDetailer(opts DetailOptions, nt int, hide bool, stacks int) *detailer {
	// Room for a path per stack at once: growing arrays of millions would
	// copy them.
	return &detailer{opts: opts, nt: nt, hide: hide,
		pathSide: make([]uint8, 0, stacks), pathStack: make([]int32, 0, stacks), pathGroup: make([]int32, 0, stacks),
		pathVars: make([]float64, 0, stacks*nt)}
}

// begin readies side s for profile p, whose frames the reduction marks in
// pf, and returns what the reduction calls for every kept stack.
func (d *detailer) begin(s int, p *profile.Profile, pf *profileFrames, idx []int) stackVisitor {
	d.side[s] = detailSide{p: p, pf: pf, idx: idx}
	return func(si int, frames []int32, group int32, vars []float64) {
		d.addPath(s, int32(si), group, vars)
		if d.hide {
			if len(d.keptStart) == 0 {
				d.keptStart = append(d.keptStart, 0)
			}
			d.keptFrames = append(d.keptFrames, frames...)
			d.keptStart = append(d.keptStart, int32(len(d.keptFrames)))
		}
	}
}

// addPath adds stack si of side s, which went to group, with its values'
// variances, as a path of the call tree. Variances left nil were written
// already (varsOfSides).
func (d *detailer) addPath(s int, si, group int32, vars []float64) {
	d.pathSide = append(d.pathSide, uint8(s))
	d.pathStack = append(d.pathStack, si)
	d.pathGroup = append(d.pathGroup, group)
	d.pathVars = append(d.pathVars, vars...)
}

// varsOfSides returns where two profiles of n0 and n1 stacks, summed at
// once (reducePair), write their paths' variances, each from the start:
// the first at the start of the room newDetailer made, the second after
// room for all the first's stacks. joinVars then closes the gap.
func (d *detailer) varsOfSides(n0, n1 int) [2][]float64 {
	all := d.pathVars[:0:cap(d.pathVars)]
	at := n0 * d.nt
	return [2][]float64{all[:0:at], all[at : at : at+n1*d.nt]}
}

// joinVars takes the variances both sides wrote (varsOfSides) as the
// paths', side 1's moved up to follow side 0's when side 0 kept fewer
// stacks than it had.
func (d *detailer) joinVars(side0, side1 []float64) {
	all := d.pathVars[:cap(d.pathVars)]
	n := copy(all[len(side0):], side1)
	d.pathVars = all[:len(side0)+n]
}

// end notes side s's totals, before Options.Normalize scales them.
func (d *detailer) end(s int, r *reduction) {
	d.total[s] = slices.Clone(r.total)
	d.totalVar[s] = slices.Clone(r.totalVar)
}

// lineOf returns the line of frame f of side sd.
func (d *detailer) lineOf(sd *detailSide, f int32) int32 {
	if l := sd.frameLine[f]; l >= 0 {
		return l
	}
	fr := sd.pf.frames[f]
	l, ok := d.lines[fr]
	if !ok {
		l = int32(len(d.lineFrame))
		d.lines[fr] = l
		d.lineFrame = append(d.lineFrame, fr)
	}
	sd.frameLine[f] = l
	return l
}

// detail builds the detail of a comparison whose sorted rows are rows, with
// its shown type t, scaling base values as Compare does when normalize
// (Options.Normalize).
//
// sites, when not nil, are the rows by site already (the comparison's own,
// when it is grouped by site): they are taken as they are.
func (d *detailer) detail(rows, sites []Row, t int, normalize bool) *Detail {
	scale := make([]float64, d.nt)
	for ti := range scale {
		scale[ti] = 1
		if normalize {
			scale[ti], _ = normalizeFactor(d.total[0][ti], d.total[1][ti])
		}
	}
	d.lines = map[profile.Frame]int32{}
	d.names = map[string]int32{}
	for s := range d.side {
		sd := &d.side[s]
		sd.frameName = make([]int32, len(sd.p.Frames))
		sd.frameLine = make([]int32, len(sd.p.Frames))
		for i, f := range sd.p.Frames {
			sd.frameName[i] = d.name(f.FunctionName())
			sd.frameLine[i] = -1
		}
	}
	// The call tree is built on another core while the sites and the rows'
	// stacks are found: they share only what neither writes (the paths,
	// their values, the frames' names), and each keeps its own order of
	// summation, so the detail is the same to the last bit.
	root := d.name("root")
	var tree fanout.Group
	tree.Go(func() { d.buildTree(root, scale, d.opts.MinFraction) })
	if sites == nil {
		sites = d.sites(t, scale)
		d.siteVals, d.siteVars = [2][]int64{}, [2][]float64{}
	}
	out := &Detail{Sites: sites}
	out.Stacks, out.MoreStacks = d.rowStacks(rows, t, scale)
	d.lines, d.lineFrame = nil, nil
	tree.Wait()
	out.Tree = d.tree(scale)
	return out
}

// sites returns a row for every allocation site with a value, sorted as
// Compare sorts rows by type t.
func (d *detailer) sites(t int, scale []float64) []Row {
	nt := d.nt
	vals := make([]int64, nt)
	vars := make([]float64, nt)
	for i := range d.pathSide {
		s := d.pathSide[i]
		sd := &d.side[s]
		site := d.lineOf(sd, sd.pf.site(d.pathFrames(i)))
		if n := (int(site) + 1) * nt; len(d.siteVals[s]) < n {
			for side := 0; side < 2; side++ {
				d.siteVals[side] = append(d.siteVals[side], make([]int64, n-len(d.siteVals[side]))...)
				d.siteVars[side] = append(d.siteVars[side], make([]float64, n-len(d.siteVars[side]))...)
			}
		}
		d.pathValues(i, vals, vars)
		addValues(d.siteVals[s], int(site)*nt, vals)
		addVariances(d.siteVars[s], int(site)*nt, vars)
	}
	n := len(d.siteVals[0]) / nt
	for ti, f := range scale {
		if f == 1 {
			continue
		}
		for i := ti; i < len(d.siteVals[0]); i += nt {
			d.siteVals[0][i] = int64(math.Round(float64(d.siteVals[0][i]) * f))
			d.siteVars[0][i] *= f * f
		}
	}
	rows := make([]Row, 0, n)
	flat := make([]Change, 0, n*nt)
	for i := 0; i < n; i++ {
		lo, hi := i*nt, (i+1)*nt
		if allZero(d.siteVals[0][lo:hi]) && allZero(d.siteVals[1][lo:hi]) {
			continue
		}
		at := len(flat)
		for ti := 0; ti < nt; ti++ {
			flat = append(flat, change(d.siteVals[0][lo+ti], d.siteVals[1][lo+ti], d.siteVars[0][lo+ti], d.siteVars[1][lo+ti]))
		}
		f := d.lineFrame[i]
		rows = append(rows, Row{Name: f.String(), Frames: []profile.Frame{f}, Flat: flat[at : at+nt : at+nt], order: int32(i)})
	}
	slices.SortFunc(rows, func(a, b Row) int {
		return compareRows(a.Flat[t], b.Flat[t], a.Name, b.Name, a.order, b.order)
	})
	return rows
}

// stackSums is one distinct stack of a shown row, summed over both
// profiles: first is the path that first had it, whose frames it shows.
type stackSums struct {
	row   int32 // the index of the row in the comparison
	first int32
	vals  [2][]int64
	vars  [2][]float64
}

// rowStacks picks the largest stacks of each of the first rows (the
// DetailOptions.StackRows first), telling stacks apart by their frames'
// lines as a comparison grouped by stack does.
func (d *detailer) rowStacks(rows []Row, t int, scale []float64) ([][]StackChange, []int) {
	shown := len(rows)
	if d.opts.StackRows > 0 && shown > d.opts.StackRows {
		shown = d.opts.StackRows
	}
	more := make([]int, len(rows))
	out := make([][]StackChange, len(rows))
	if shown == 0 {
		return out, more
	}
	rowOf := make(map[int32]int32, shown) // row group → row
	for i, r := range rows[:shown] {
		rowOf[r.order] = int32(i)
	}
	var stacks []stackSums
	ids := map[string]int32{}
	var key []byte
	vals := make([]int64, d.nt)
	vars := make([]float64, d.nt)
	for i, g := range d.pathGroup {
		row, ok := rowOf[g]
		if !ok {
			continue
		}
		s := d.pathSide[i]
		sd := &d.side[s]
		key = key[:0]
		for _, f := range d.pathFrames(i) {
			key = binary.LittleEndian.AppendUint32(key, uint32(d.lineOf(sd, f)))
		}
		id, ok := ids[string(key)]
		if !ok {
			id = int32(len(stacks))
			ids[string(key)] = id
			st := stackSums{row: row, first: int32(i)}
			for side := 0; side < 2; side++ {
				st.vals[side] = make([]int64, d.nt)
				st.vars[side] = make([]float64, d.nt)
			}
			stacks = append(stacks, st)
		}
		d.pathValues(i, vals, vars)
		addValues(stacks[id].vals[s], 0, vals)
		addVariances(stacks[id].vars[s], 0, vars)
	}
	all := make([][]candidate, shown)
	for si := range stacks {
		sums := &stacks[si]
		all[sums.row] = append(all[sums.row], candidate{int32(si), StackChange{Values: changes(sums.vals, sums.vars, 0, scale)}})
	}
	for i := 0; i < shown; i++ {
		var kept []candidate
		kept, more[i] = largestStacks(all[i], t, d.opts.StacksPerRow)
		out[i] = make([]StackChange, len(kept))
		for k, c := range kept {
			c.Frames = d.frameList(int(stacks[c.id].first))
			out[i][k] = c.StackChange
		}
	}
	return out, more
}

// frameList returns path i's frames, innermost first.
func (d *detailer) frameList(i int) []profile.Frame {
	frames := d.pathFrames(i)
	all := d.side[d.pathSide[i]].pf.frames
	fs := make([]profile.Frame, len(frames))
	for k, f := range frames {
		fs[k] = all[f]
	}
	return fs
}

// candidate is a stack that may be kept: its frames are only looked up if
// it is.
type candidate struct {
	id int32
	StackChange
}

// pathFrames returns path i's frames, innermost first, after Hide.
func (d *detailer) pathFrames(i int) []int32 {
	if d.hide {
		return d.keptFrames[d.keptStart[i]:d.keptStart[i+1]]
	}
	sd := &d.side[d.pathSide[i]]
	return sd.p.Stacks[d.pathStack[i]].Frames
}

// pathValues writes path i's values and their variances into vals and vars,
// as eachStack gave them.
func (d *detailer) pathValues(i int, vals []int64, vars []float64) {
	sd := &d.side[d.pathSide[i]]
	st := &sd.p.Stacks[d.pathStack[i]]
	for t, j := range sd.idx {
		vals[t] = st.Values[j]
	}
	copy(vars, d.pathVars[i*d.nt:(i+1)*d.nt])
}

func (d *detailer) name(s string) int32 {
	if id, ok := d.names[s]; ok {
		return id
	}
	id := int32(len(d.nameList))
	d.names[s] = id
	d.nameList = append(d.nameList, s)
	return id
}

func (d *detailer) newNode(parent, name int32, folded int, vals [2][]int64, vars [2][]float64) int32 {
	n := int32(len(d.nodeName))
	d.nodeName = append(d.nodeName, name)
	d.nodeParent = append(d.nodeParent, parent)
	d.nodeFolded = append(d.nodeFolded, folded)
	for s := 0; s < 2; s++ {
		d.nodeVals[s] = append(d.nodeVals[s], vals[s]...)
		d.nodeVars[s] = append(d.nodeVars[s], vars[s]...)
	}
	return n
}

// buildTree merges the paths into a call tree one depth at a time, so that
// only nodes at least minFraction of a total (for some type and side) are
// ever kept: a node's value bounds its descendants'. Smaller children are
// summed into one folded node per parent. Huge profiles of unique stacks
// would otherwise make a tree of millions of nodes.
//
// Each depth takes two passes over the paths, in their order: the first
// numbers the groups (a node above and a function here) and notes each
// path's, the second sums the paths' values into their groups. Paths are
// read in order, as their stacks lie in memory (read in another order,
// every path costs a cache miss or two, which took most of the time), and
// the groups' sums are allocated once their number is known, not grown.
//
// root is the root's name, numbered by the caller: buildTree adds no name,
// so it may run beside the detail's other parts (see detail).
func (d *detailer) buildTree(root int32, scale []float64, minFraction float64) {
	nt := d.nt
	denom := make([]float64, nt)
	for t := range denom {
		denom[t] = math.Max(math.Abs(float64(d.total[0][t])*scale[t]), math.Abs(float64(d.total[1][t])))
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
	d.newNode(-1, root, 0, d.total, d.totalVar)

	nPaths := len(d.pathSide)
	at := make([]int32, nPaths)    // each path's node at the last depth; -1 once pruned
	group := make([]int32, nPaths) // each path's group at this depth; -1 for none
	pathVals := make([]int64, nt)
	pathVars := make([]float64, nt)
	// A group is a node above and a function here, in one key.
	var index keyNumbers
	var (
		groups []uint64 // keys, in the order of their first paths
		vals   [2][]int64
		vars   [2][]float64
	)
	for depth := 0; ; depth++ {
		// As many groups as the last depth had, to begin with.
		index.reset(len(groups))
		groups = groups[:0]
		for i := range nPaths {
			group[i] = -1
			if at[i] < 0 {
				continue
			}
			frames := d.pathFrames(i)
			if depth >= len(frames) {
				at[i] = -1
				continue
			}
			// Paths run outermost first, stacks innermost first.
			name := d.side[d.pathSide[i]].frameName[frames[len(frames)-1-depth]]
			key := uint64(uint32(at[i]))<<32 | uint64(uint32(name))
			k, added := index.number(key)
			if added {
				groups = append(groups, key)
			}
			group[i] = k
		}
		if len(groups) == 0 {
			return
		}
		n := len(groups) * nt
		for s := 0; s < 2; s++ {
			vals[s] = slices.Grow(vals[s][:0], n)[:n]
			vars[s] = slices.Grow(vars[s][:0], n)[:n]
			clear(vals[s])
			clear(vars[s])
		}
		for i, k := range group {
			if k < 0 {
				continue
			}
			s := d.pathSide[i]
			d.pathValues(i, pathVals, pathVars)
			addValues(vals[s], int(k)*nt, pathVals)
			addVariances(vars[s], int(k)*nt, pathVars)
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
		for k, key := range groups {
			parent, name := int32(key>>32), int32(uint32(key))
			one := [2][]int64{vals[0][k*nt : (k+1)*nt], vals[1][k*nt : (k+1)*nt]}
			oneVar := [2][]float64{vars[0][k*nt : (k+1)*nt], vars[1][k*nt : (k+1)*nt]}
			if !small(one, 0) {
				node[k] = d.newNode(parent, name, 0, one, oneVar)
				continue
			}
			node[k] = -1
			f, ok := folds[parent]
			if !ok {
				f = &fold{}
				for s := 0; s < 2; s++ {
					f.vals[s] = make([]int64, nt)
					f.vars[s] = make([]float64, nt)
				}
				folds[parent] = f
				foldOrder = append(foldOrder, parent)
			}
			f.n++
			for s := 0; s < 2; s++ {
				addValues(f.vals[s], 0, one[s])
				addVariances(f.vars[s], 0, oneVar[s])
			}
		}
		for _, parent := range foldOrder {
			f := folds[parent]
			d.newNode(parent, -1, f.n, f.vals, f.vars)
		}
		for i, k := range group {
			if k >= 0 {
				at[i] = node[k]
			}
		}
	}
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
func (d *detailer) tree(scale []float64) []Node {
	n := len(d.nodeName)
	nt := d.nt
	// A node's weight is its largest share of a total, over types and sides.
	weight := make([]float64, n)
	for t := 0; t < nt; t++ {
		denom := math.Max(math.Abs(float64(d.nodeVals[0][t])*scale[t]), math.Abs(float64(d.nodeVals[1][t])))
		if denom == 0 {
			continue
		}
		for i := 0; i < n; i++ {
			w := math.Max(math.Abs(float64(d.nodeVals[0][i*nt+t])*scale[t]), math.Abs(float64(d.nodeVals[1][i*nt+t]))) / denom
			weight[i] = math.Max(weight[i], w)
		}
	}
	keep := make([]bool, n)
	for i := range keep {
		keep[i] = i == 0 || d.nodeFolded[i] == 0 && weight[i] >= d.opts.MinFraction && weight[i] > 0
	}
	if d.opts.MaxNodes > 0 {
		order := make([]int, 0, n)
		for i := range keep {
			if keep[i] {
				order = append(order, i)
			}
		}
		if len(order) > d.opts.MaxNodes {
			// Parents are created before their children, so on equal weight
			// the parent ranks first.
			slices.SortFunc(order, func(a, b int) int {
				if c := cmp.Compare(weight[b], weight[a]); c != 0 {
					return c
				}
				return cmp.Compare(a, b)
			})
			for _, i := range order[d.opts.MaxNodes:] {
				if i != 0 {
					keep[i] = false
				}
			}
		}
	}
	children := make([][]int32, n)
	for i := 1; i < n; i++ {
		p := d.nodeParent[i]
		children[p] = append(children[p], int32(i))
	}
	var out []Node
	var walk func(i int32, parent int32, depth int)
	walk = func(i int32, parent int32, depth int) {
		at := int32(len(out))
		out = append(out, Node{Name: d.nameList[d.nodeName[i]], Parent: parent, Depth: depth,
			Values: changes(d.nodeVals, d.nodeVars, int(i)*nt, scale)})
		kids := children[i]
		name := func(k int32) string {
			if d.nodeFolded[k] > 0 {
				return ""
			}
			return d.nameList[d.nodeName[k]]
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
			nFolded += max(1, d.nodeFolded[k])
			for s := 0; s < 2; s++ {
				addValues(folded[s], 0, d.nodeVals[s][int(k)*nt:int(k+1)*nt])
				addVariances(foldedVar[s], 0, d.nodeVars[s][int(k)*nt:int(k+1)*nt])
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
