package report

import (
	"cmp"
	"slices"
	"strings"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/internal/fanout"
)

// treemapMinShare is the smallest share of the growth a treemap box gets
// on its own: about 50×50 px of the page's treemap, room for a label one
// can read. Smaller parts of a group are summed in one box, "(N more)", so
// a report of 49,000 sites that each grew 0.01% shows the packages that
// hold them, not hundreds of boxes labelled "git", "gi", "g".
const treemapMinShare = 0.01

// htmlGrowth is the treemap of one sample type's growth: every site that
// grew, by package path, function and site, parts under treemapMinShare
// summed. Its counts let the page say what the areas add up to.
type htmlGrowth struct {
	Grew   int   `json:"grew"`   // sites that grew
	Growth int64 `json:"growth"` // what they grew, the root's area
	Shrank int   `json:"shrank"` // sites that shrank
	Shrink int64 `json:"shrink"` // what they shrank (negative): Growth + Shrink is the sites' net change
	// Nodes are the boxes in depth-first order, Nodes[0] the root (all the
	// growth), each after its parent.
	Nodes []htmlGrowthNode `json:"nodes"`
}

// htmlGrowthNode is a box of the treemap.
type htmlGrowthNode struct {
	Parent int32 `json:"p"` // -1 for the root
	Label  int   `json:"n"` // what the box says, "\n" between lines; "" for a More box
	// Short is what the box says where Label does not fit: a function
	// without its package, a path's first element; Label when it has none.
	Short int   `json:"a"`
	Full  int   `json:"f"` // the whole name, for its tooltip
	Value int64 `json:"v"` // growth
	Sites int   `json:"s"` // sites that grew in it
	// More is, for a box that sums a group's small parts, how many parts
	// it sums; 0 for other boxes.
	More int `json:"m,omitempty"`
	// Change is the change of the sites that grew in the box, summed by
	// diff.SumRows (which says whether the sum is beyond noise), for its
	// color and tooltip.
	Change htmlChange `json:"c"`
}

// What a node of the growth tree stands for: how its label joins its
// parent's when the parent, having it alone, is folded into it.
const (
	partPath     = iota // an element of a package's path: "svc6", joined by "/"
	partFunction        // a function, labelled without its import path
	partSite            // a site within its function: "file.go:95"
	partMore            // the small parts of a group, summed
)

type growthNode struct {
	kind  int
	label string // the label within its parent's box
	short string // a shorter label, or ""
	pkg   string // a function's package
	full  string
	value int64
	sites int
	// flat is the change of the tree's sample type of the node's growing
	// sites, summed: one element, as diff.AddChanges takes; hasFlat tells
	// whether anything was added to it yet.
	flat     [1]diff.Change
	hasFlat  bool
	more     int
	children []*growthNode
}

// addFlat adds a row's change, or a part's, to the node's (see
// diff.AddChanges); the first is taken as it is.
func (n *growthNode) addFlat(c diff.Change) {
	if !n.hasFlat {
		n.flat[0], n.hasFlat = c, true
		return
	}
	diff.AddChanges(n.flat[:], []diff.Change{c})
}

// growthTrees are the treemaps of every sample type's growth from the
// comparison's sites (diff.Detail.Sites), built concurrently: the trees of
// a large comparison take as long as the rest of the page, and each type's
// is its own. layout turns them into the page's nodes.
type growthTrees struct {
	building fanout.Group
	out      []htmlGrowth
	roots    []*growthNode
}

// startGrowthTrees starts building the treemap of every sample type's
// growth from sites, one goroutine per type; sites must not change until
// layout returns.
func startGrowthTrees(sites []diff.Row, nTypes int) *growthTrees {
	g := &growthTrees{out: make([]htmlGrowth, nTypes), roots: make([]*growthNode, nTypes)}
	// Each site's function and package, found once for all the types
	// (finding them takes string work, for every one of thousands of
	// sites) and before the trees start, which then only read them.
	paths := newGrowthPaths(len(sites))
	for i := range sites {
		if !slices.ContainsFunc(sites[i].Flat, func(c diff.Change) bool { return c.Delta() > 0 }) {
			paths.skip() // in no type's tree
			continue
		}
		r := sites[i].Named()
		names := siteNames{name: r.Name}
		if len(r.Frames) > 0 {
			f := r.Frames[0]
			names.fn, names.pkg, names.framed = f.FunctionName(), f.Package(), true
		}
		paths.add(names)
	}
	for t := range nTypes {
		g.building.Go(func() { g.roots[t] = growthTree(sites, paths, t, &g.out[t]) })
	}
	return g
}

// layout waits for the trees and lays them out as the page's nodes, type
// by type, their strings interned in strs in that order.
func (g *growthTrees) layout(strs *interner) []htmlGrowth {
	g.building.Wait()
	for t, root := range g.roots {
		flatten(root, -1, strs, &g.out[t].Nodes)
	}
	return g.out
}

// growthTree builds the treemap of type t's growth from sites, whose nodes
// paths holds, and counts into g what grew and what shrank. A node's
// children are in the order of their first sites, the order they are
// summed in.
func growthTree(sites []diff.Row, paths *growthPaths, t int, g *htmlGrowth) *growthNode {
	root := &growthNode{full: "growth"}
	nodes := make([]*growthNode, len(paths.steps)) // this tree's node of each step, once it has one
	for i := range sites {
		r := &sites[i]
		d := r.Flat[t].Delta()
		if d < 0 {
			g.Shrank++
			g.Shrink += d
		}
		if d <= 0 {
			continue
		}
		g.Grew++
		g.Growth += d
		leaf := root
		for _, s := range paths.path[paths.start[i]:paths.start[i+1]] {
			n := nodes[s]
			if n == nil {
				st := &paths.steps[s]
				n = &growthNode{kind: st.kind, label: st.label, full: st.full, pkg: st.pkg}
				nodes[s] = n
				leaf.children = append(leaf.children, n)
			}
			leaf = n
		}
		leaf.value += d
		leaf.sites++
		leaf.addFlat(r.Flat[t])
	}
	sum(root)
	prune(root, int64(treemapMinShare*float64(root.value)))
	// The root's only part stands for all of it.
	for len(root.children) == 1 && len(root.children[0].children) > 0 {
		root.children = root.children[0].children
	}
	for _, c := range root.children {
		fold(c)
	}
	return root
}

// siteNames is a site's name and, when it has frames, its function and
// package (see growthPaths.add).
type siteNames struct {
	name    string
	framed  bool
	fn, pkg string
}

// growthPaths are the nodes each site lies under in a growth tree, found
// once for the trees of every sample type, which each make the nodes their
// own sites lie under: finding a node by its label took most of a tree's
// time, four times over. A node is known by its parent and its label.
type growthPaths struct {
	steps []growthStep
	index map[stepKey]int32
	// Site i lies under steps path[start[i]:start[i+1]], outermost first
	// (none for a site in no tree).
	start []int32
	path  []int32
}

// growthStep is a node of the growth trees, as each tree makes it.
type growthStep struct {
	kind             int
	label, full, pkg string
}

type stepKey struct {
	parent int32 // -1 for the root
	label  string
}

func newGrowthPaths(sites int) *growthPaths {
	return &growthPaths{index: map[stepKey]int32{}, start: make([]int32, 1, sites+1)}
}

// add finds the path of the next site: its package's path, a part at a
// time, its function, its file:line.
func (p *growthPaths) add(site siteNames) {
	p.addPath(site)
	p.start = append(p.start, int32(len(p.path)))
}

// skip gives the next site, which is in no tree, no path.
func (p *growthPaths) skip() { p.start = append(p.start, int32(len(p.path))) }

func (p *growthPaths) addPath(site siteNames) {
	name := site.name
	if !site.framed {
		p.step(-1, partSite, name, name, "")
		return
	}
	fn, pkg := site.fn, site.pkg
	n := int32(-1)
	// Each part's node is named by the path up to it, which is pkg up to
	// the part's end.
	for start := 0; ; {
		end := len(pkg)
		if slash := strings.IndexByte(pkg[start:], '/'); slash >= 0 {
			end = start + slash
		}
		n = p.step(n, partPath, pkg[start:end], pkg[:end], "")
		if end == len(pkg) {
			break
		}
		start = end + 1
	}
	n = p.step(n, partFunction, fn, fn, pkg)
	if len(name) <= len(fn) || name[len(fn)] != ' ' || name[:len(fn)] != fn {
		return // the site is the function (grouped by function, or no line)
	}
	p.step(n, partSite, name[len(fn)+1:], name, "")
}

// step appends to the path the node labelled label under parent, made the
// first time it is met, and returns it.
func (p *growthPaths) step(parent int32, kind int, label, full, pkg string) int32 {
	k := stepKey{parent, label}
	s, ok := p.index[k]
	if !ok {
		s = int32(len(p.steps))
		p.index[k] = s
		p.steps = append(p.steps, growthStep{kind: kind, label: label, full: full, pkg: pkg})
	}
	p.path = append(p.path, s)
	return s
}

// sum adds up every node's growth, sites and change from its children's.
func sum(n *growthNode) {
	for _, c := range n.children {
		sum(c)
		n.value += c.value
		n.sites += c.sites
		n.addFlat(c.flat[0])
	}
}

// prune sums, in every group, the parts under min in one "(N more)" box,
// largest parts first; a group whose parts are all under min becomes one
// box. A single small part is left alone: summing it says no more.
func prune(n *growthNode, min int64) {
	slices.SortStableFunc(n.children, func(a, b *growthNode) int {
		return cmp.Or(cmp.Compare(b.value, a.value), strings.Compare(a.label, b.label))
	})
	keep := len(n.children)
	for keep > 0 && n.children[keep-1].value < min {
		keep--
	}
	switch small := n.children[keep:]; {
	case keep == 0 && len(small) > 1:
		n.children = nil
	case len(small) > 1:
		more := &growthNode{kind: partMore, more: len(small)}
		for _, c := range small {
			more.value += c.value
			more.sites += c.sites
			more.addFlat(c.flat[0])
		}
		n.children = append(n.children[:keep:keep], more)
	}
	for _, c := range n.children {
		prune(c, min)
	}
}

// fold merges every box that holds a single part with that part, so that
// no box only frames another: "github.com" holding "example" holding
// "svc6" is one box, "github.com/example/svc6", and a function with one
// site is one box that names both.
func fold(n *growthNode) {
	if n.kind == partFunction && n.label == n.full {
		n.label, n.short = shortFunction(n.full), inPackage(n.full, n.pkg)
	}
	for len(n.children) == 1 && n.children[0].kind != partMore {
		c := n.children[0]
		switch {
		case n.kind == partPath && c.kind == partPath:
			if n.short == "" {
				n.short = n.label
			}
			n.label += "/" + c.label
		case c.kind == partFunction:
			n.label = shortFunction(c.label)
			n.short = inPackage(c.label, c.pkg)
		case c.kind == partSite:
			if n.short == "" {
				n.short = n.label
			}
			n.label += "\n" + c.label
		}
		n.kind, n.full, n.pkg, n.children = c.kind, c.full, c.pkg, c.children
	}
	for _, c := range n.children {
		if c.kind == partFunction && n.kind == partPath {
			c.label = inPackage(c.label, n.full)
		}
		fold(c)
	}
}

// shortFunction drops a Go function's import path but for its package's
// name: github.com/a/b/pkg.(*T).M is pkg.(*T).M.
func shortFunction(fn string) string {
	end := strings.IndexByte(fn, '(')
	if end < 0 {
		end = len(fn)
	}
	if i := strings.LastIndexByte(fn[:end], '/'); i >= 0 {
		return fn[i+1:]
	}
	return fn
}

// inPackage is a function's name inside its package's box: without the
// package, (*T).M.
func inPackage(fn, pkg string) string {
	if rest, ok := strings.CutPrefix(fn, pkg+"."); ok {
		return rest
	}
	return shortFunction(fn)
}

// flatten appends n and its descendants to nodes, depth first.
func flatten(n *growthNode, parent int32, strs *interner, nodes *[]htmlGrowthNode) {
	// A "(N more)" box is labelled by the page, which writes numbers.
	short := n.short
	if short == "" || short == n.label {
		short = n.label
	}
	hn := htmlGrowthNode{Parent: parent, Label: strs.id(n.label), Short: strs.id(short), Full: strs.id(n.full), Value: n.value, Sites: n.sites, More: n.more}
	hn.Change = htmlChange(n.flat[0])
	at := int32(len(*nodes))
	*nodes = append(*nodes, hn)
	for _, c := range n.children {
		flatten(c, at, strs, nodes)
	}
}
