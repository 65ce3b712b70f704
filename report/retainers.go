package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/heapdiff/heapdiff/diff"
	"github.com/heapdiff/heapdiff/internal/units"
	"github.com/heapdiff/heapdiff/profile"
)

// Who holds it: the retainer paths of diff.Holders, in words every
// renderer shares. A path reads from its root to the object, as memlab
// prints it: "sessions (variable) → Map → table → UserSession". What V8
// adds on the way and a reader needs not see is left out of the words (a
// closure's edge to its scope, the scope itself, an unnamed internal array
// and a hash table's slot numbers); JSON keeps every step.

// How much of diff.Holders the text and Markdown views show; JSON and the
// HTML page show all of it.
const (
	textHolderClasses     = 10
	textHolderPaths       = 3
	textHolderCollections = 10
)

// pathWords returns the words of a path's steps from index from on: the
// edge into each step, then the step's object. many is set for a path that
// stands for several objects, whose element indexes differ.
func pathWords(p profile.RetainerPath, from int, many bool) []string {
	var words []string
	for k := max(from, 0); k < len(p.Steps); k++ {
		s := p.Steps[k]
		if k > 0 {
			if w := edgeWord(s, many); w != "" {
				words = append(words, w)
			}
		}
		if w := nodeWord(s); w != "" || k == len(p.Steps)-1 {
			if w == "" {
				w = s.Class
			}
			words = append(words, w)
		}
	}
	return words
}

// edgeWord names the edge into a step; "" for one left out.
func edgeWord(s profile.RetainerStep, many bool) string {
	switch s.EdgeType {
	case "context":
		return s.EdgeName + " (variable)"
	case "element", "hidden":
		if many {
			return "[…]"
		}
		return "[" + s.EdgeName + "]"
	case "internal":
		switch {
		case s.EdgeName == "context":
			return "" // a closure's scope: its variables follow
		case strings.Contains(s.EdgeName, " pair in WeakMap (table @"):
			return "(WeakMap entry of this key)"
		case strings.Trim(s.EdgeName, "0123456789") == "":
			return "" // a hash table's slot
		}
		return s.EdgeName
	}
	if s.Names > 1 {
		n := strconv.Itoa(s.Names)
		if s.Names > 1000 {
			n = "over 1000"
		}
		return s.EdgeName + " (one of " + n + " keys)"
	}
	return s.EdgeName
}

// nodeWord names a step's object; "" for one left out.
func nodeWord(s profile.RetainerStep) string {
	if strings.HasPrefix(s.Class, "system / Context") || strings.HasPrefix(s.Name, "system / Context") {
		return "" // a scope: its variable follows
	}
	switch s.NodeType {
	case "object", "native":
		return s.Class
	case "closure":
		if s.Name == "" {
			return "(anonymous function)"
		}
		return s.Name + "()"
	case "hidden", "array":
		if s.Name == "" {
			return "" // an internal array: the edges say more
		}
		return s.Name
	}
	if s.Name != "" {
		return s.Name
	}
	return s.Class
}

// rootWords says where the part of a path before the program's starts.
func rootWords(p profile.RetainerPath) string {
	switch p.Root {
	case profile.RootModule:
		return "through the module system"
	case profile.RootSystem:
		return "by V8's own roots only"
	case profile.RootUnreachable:
		return "by nothing reached (not yet collected)"
	}
	return "from the global object"
}

// prefixWords is the part of a path before the program's, or "": its
// root, then the names of the edges that lead to the program's part
// ("global: CustomEvent → process (variable) → mainModule → …").
func prefixWords(p profile.RetainerPath) string {
	if p.UserStart <= 0 {
		return ""
	}
	root := nodeWord(p.Steps[0])
	if root == "" {
		root = p.Steps[0].Class
	}
	var words []string
	for _, s := range p.Steps[1:p.UserStart] {
		if w := edgeWord(s, false); w != "" {
			words = append(words, w)
		}
	}
	if p.Cut {
		root = "… " + root
	}
	if len(words) == 0 {
		return root
	}
	return root + ": " + strings.Join(words, " → ")
}

// holdersIntro says what the paths are of.
func holdersIntro(h *diff.Holders) string {
	if h.NewOnly {
		return "who holds the new objects of the classes that grew most (retainer paths in the target, shortest first as DevTools gives them, clustered by how they are held)"
	}
	return "who holds the objects of the classes that grew most (all of them: the snapshots' object ids do not match, so new ones cannot be told apart)"
}

// writeHoldersText writes the "who holds it" section of a text report.
func writeHoldersText(w io.Writer, h *diff.Holders, paint func(color, s string) string) {
	if h == nil {
		return
	}
	fmt.Fprintln(w)
	if h.Unavailable != "" {
		fmt.Fprintf(w, "%s %s\n", paint(colorBold, "retainers:"), h.Unavailable)
		return
	}
	fmt.Fprintf(w, "%s\n", paint(colorBold, holdersIntro(h)))
	if len(h.Classes) == 0 {
		fmt.Fprintln(w, "  (no class grew)")
	}
	lastPrefix := ""
	for i, c := range h.Classes {
		if i == textHolderClasses {
			fmt.Fprintf(w, "  (%d more classes: -f json or the HTML page has them)\n", len(h.Classes)-i)
			break
		}
		what := "objects"
		if h.NewOnly {
			what = "new objects"
		}
		fmt.Fprintf(w, "%s  %d %s, %s retained\n", paint(colorBold, c.Class), c.Objects, what, units.Format(float64(c.Retained), "bytes", false))
		for j, p := range c.Paths {
			if j == textHolderPaths {
				fmt.Fprintf(w, "  (%s)\n", moreWays(len(c.Paths)-j+c.Omitted))
				break
			}
			fmt.Fprintf(w, "  %6d  %9s  %s\n", p.Objects, units.Format(float64(p.Retained), "bytes", false), strings.Join(pathWords(p, p.UserStart, p.Objects > 1), " → "))
			// Where the program's part is held from, once for a run of
			// paths held from the same place.
			if pre := "held " + rootWords(p) + ": " + prefixWords(p); prefixWords(p) != "" && pre != lastPrefix {
				fmt.Fprintf(w, "  %6s  %9s  %s\n", "", "", paint(colorDim, pre))
				lastPrefix = pre
			}
		}
		if len(c.Paths) <= textHolderPaths && c.Omitted > 0 {
			fmt.Fprintf(w, "  (%s)\n", moreWays(c.Omitted))
		}
	}
	if len(h.Collections) > 0 {
		fmt.Fprintf(w, "\n%s\n", paint(colorBold, "collections that grew (matched by object id)"))
		for i, g := range h.Collections {
			if i == textHolderCollections {
				break
			}
			fmt.Fprintf(w, "  %s\n", collectionLine(g))
			if len(g.Path.Steps) > 0 {
				fmt.Fprintf(w, "      %s\n", paint(colorDim, strings.Join(pathWords(g.Path, g.Path.UserStart, false), " → ")))
			}
		}
	}
}

// collectionLine is "Map @75709 (sessions): 360 → 660 entries, +9.4KiB".
func collectionLine(g diff.GrownCollection) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s @%d", g.Class, g.ID)
	if g.Label != "" {
		fmt.Fprintf(&b, " (%s)", g.Label)
	}
	b.WriteString(": ")
	for i, e := range g.Entries {
		if i > 0 {
			b.WriteString(" → ")
		}
		switch {
		case e >= 0:
			b.WriteString(strconv.FormatInt(e, 10))
		case i < len(g.Least):
			fmt.Fprintf(&b, "<%d", g.Least[i])
		default:
			b.WriteString("?")
		}
	}
	b.WriteString(" entries")
	first, last := g.Retained[0], g.Retained[len(g.Retained)-1]
	if last >= 0 {
		fmt.Fprintf(&b, ", %s retained", units.Format(float64(last-max(first, 0)), "bytes", true))
	}
	return b.String()
}

// writeHoldersMarkdown writes the "who holds it" section of a Markdown
// report.
func writeHoldersMarkdown(w io.Writer, h *diff.Holders) {
	if h == nil {
		return
	}
	if h.Unavailable != "" {
		fmt.Fprintf(w, "\n**Retainers:** %s\n", mdText(h.Unavailable))
		return
	}
	fmt.Fprintf(w, "\n### Who holds it\n\n%s.\n\n", mdText(upperFirst(holdersIntro(h))))
	for i, c := range h.Classes {
		if i == textHolderClasses {
			fmt.Fprintf(w, "\n%d more classes: the JSON report or the HTML page has them.\n", len(h.Classes)-i)
			break
		}
		fmt.Fprintf(w, "**%s**: %d objects, %s retained\n\n", mdText(c.Class), c.Objects, units.Format(float64(c.Retained), "bytes", false))
		fmt.Fprintln(w, "| objects | retained | path | held |")
		fmt.Fprintln(w, "|---:|---:|---|---|")
		for j, p := range c.Paths {
			if j == textHolderPaths {
				break
			}
			fmt.Fprintf(w, "| %d | %s | %s | %s |\n", p.Objects, units.Format(float64(p.Retained), "bytes", false),
				mdCode(strings.Join(pathWords(p, p.UserStart, p.Objects > 1), " → ")), mdText(rootWords(p)+": "+prefixWords(p)))
		}
		if more := len(c.Paths) - textHolderPaths + c.Omitted; more > 0 && len(c.Paths) > textHolderPaths || c.Omitted > 0 {
			fmt.Fprintf(w, "\n%s.\n", moreWays(max(len(c.Paths)-textHolderPaths, 0)+c.Omitted))
		}
		fmt.Fprintln(w)
	}
	if len(h.Collections) > 0 {
		fmt.Fprintln(w, "**Collections that grew** (matched by object id)")
		fmt.Fprintln(w)
		for i, g := range h.Collections {
			if i == textHolderCollections {
				break
			}
			fmt.Fprintf(w, "- %s\n", mdCode(collectionLine(g)))
		}
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// JSONHolders is the "retainers" member of the JSON document: who holds
// what grew (diff.Holders), documented in README.md.
type JSONHolders struct {
	// NewOnly is set when the paths are of the classes' new objects (ids
	// matched), false when of all their objects.
	NewOnly bool `json:"new_only"`
	// Unavailable says why there are no paths; absent when there are.
	Unavailable string             `json:"unavailable,omitempty"`
	Classes     []JSONClassHolders `json:"classes"`
	Collections []JSONCollection   `json:"collections"`
}

// JSONClassHolders is who holds the objects of one class.
type JSONClassHolders struct {
	Class    string `json:"class"`
	Objects  int64  `json:"objects"`
	Retained int64  `json:"retained"`
	// Paths has one path per way the objects are held, the most retained
	// bytes first; Omitted counts the ways left out.
	Paths   []JSONPath `json:"paths"`
	Omitted int        `json:"omitted"`
}

// JSONPath is a retainer path from a root to an object, and how many of
// the objects asked for are held the same way.
type JSONPath struct {
	Objects  int64 `json:"objects"`
	Retained int64 `json:"retained"`
	// Root is global, module, system or unreachable.
	Root string `json:"root"`
	// UserStart is the index in Steps where the program's part starts.
	UserStart int `json:"user_start"`
	// Cut is set when the root end was left out (a path over 100 steps).
	Cut   bool       `json:"cut"`
	Steps []JSONStep `json:"steps"`
	// Text is the program's part in words, as the text report shows it.
	Text string `json:"text"`
}

// JSONStep is an object on a path and the edge into it (none on the first
// step).
type JSONStep struct {
	Edge *JSONEdge `json:"edge,omitempty"`
	Node JSONNode  `json:"node"`
}

// JSONEdge is an edge of a path.
type JSONEdge struct {
	// Type is V8's: property, element, context, internal, hidden or shortcut.
	Type string `json:"type"`
	Name string `json:"name"`
	// Names counts the keys the path's objects take here when they are the
	// keys of one dictionary; absent otherwise.
	Names int `json:"names,omitempty"`
}

// JSONNode is an object of a path.
type JSONNode struct {
	// Type is V8's: object, closure, array, hidden, native, synthetic...
	Type  string `json:"type"`
	Class string `json:"class"`
	// Name is the object's own name where it says more than its class (a
	// function's name, "system / Context").
	Name string `json:"name,omitempty"`
	ID   uint64 `json:"id"`
}

// JSONCollection is a collection that grew: one value per snapshot in
// entries, size and retained (0 before it existed, -1 where it held fewer
// than least entries).
type JSONCollection struct {
	ID       uint64    `json:"id"`
	Class    string    `json:"class"`
	Label    string    `json:"label"`
	Entries  []int64   `json:"entries"`
	Size     []int64   `json:"size"`
	Retained []int64   `json:"retained"`
	Least    []int64   `json:"least"`
	Path     *JSONPath `json:"path,omitempty"`
}

// jsonHolders converts diff.Holders; nil for nil.
func jsonHolders(h *diff.Holders) *JSONHolders {
	if h == nil {
		return nil
	}
	j := &JSONHolders{NewOnly: h.NewOnly, Unavailable: h.Unavailable, Classes: []JSONClassHolders{}, Collections: []JSONCollection{}}
	for _, c := range h.Classes {
		jc := JSONClassHolders{Class: c.Class, Objects: c.Objects, Retained: c.Retained, Omitted: c.Omitted, Paths: []JSONPath{}}
		for _, p := range c.Paths {
			jc.Paths = append(jc.Paths, jsonPath(p))
		}
		j.Classes = append(j.Classes, jc)
	}
	j.Collections = jsonCollections(h.Collections)
	return j
}

func jsonCollections(list []diff.GrownCollection) []JSONCollection {
	out := []JSONCollection{}
	for _, g := range list {
		jg := JSONCollection{ID: g.ID, Class: g.Class, Label: g.Label, Entries: g.Entries, Size: g.Size, Retained: g.Retained, Least: g.Least}
		if len(g.Path.Steps) > 0 {
			p := jsonPath(g.Path)
			jg.Path = &p
		}
		out = append(out, jg)
	}
	return out
}

func jsonPath(p profile.RetainerPath) JSONPath {
	jp := JSONPath{Objects: p.Objects, Retained: p.Retained, Root: p.Root, UserStart: p.UserStart, Cut: p.Cut,
		Text: strings.Join(pathWords(p, p.UserStart, p.Objects > 1), " → ")}
	for i, s := range p.Steps {
		st := JSONStep{Node: JSONNode{Type: s.NodeType, Class: s.Class, Name: s.Name, ID: s.ID}}
		if i > 0 {
			st.Edge = &JSONEdge{Type: s.EdgeType, Name: s.EdgeName, Names: s.Names}
		}
		jp.Steps = append(jp.Steps, st)
	}
	return jp
}

// htmlHolders is what the HTML page shows of diff.Holders: for each class,
// its paths in words (the page writes them as text, never as markup).
type htmlHolders struct {
	NewOnly     bool                        `json:"newOnly"`
	Unavailable string                      `json:"unavailable,omitempty"`
	Intro       string                      `json:"intro"`
	Classes     map[string]htmlClassHolders `json:"classes"`
	Collections []htmlCollection            `json:"collections"`
}

type htmlClassHolders struct {
	Objects  int64      `json:"objects"`
	Retained int64      `json:"retained"`
	Paths    []htmlPath `json:"paths"`
	Omitted  int        `json:"omitted"`
}

// htmlPath is a path in words: the program's part, and where it is held
// from.
type htmlPath struct {
	Objects  int64    `json:"objects"`
	Retained int64    `json:"retained"`
	Words    []string `json:"words"`
	Held     string   `json:"held"`
}

type htmlCollection struct {
	Line  string   `json:"line"`
	Words []string `json:"words"`
}

func newHTMLHolders(h *diff.Holders) *htmlHolders {
	if h == nil {
		return nil
	}
	out := &htmlHolders{NewOnly: h.NewOnly, Unavailable: h.Unavailable, Intro: upperFirst(holdersIntro(h)), Classes: map[string]htmlClassHolders{}, Collections: []htmlCollection{}}
	for _, c := range h.Classes {
		hc := htmlClassHolders{Objects: c.Objects, Retained: c.Retained, Omitted: c.Omitted, Paths: []htmlPath{}}
		for _, p := range c.Paths {
			hp := htmlPath{Objects: p.Objects, Retained: p.Retained, Words: pathWords(p, p.UserStart, p.Objects > 1)}
			if pre := prefixWords(p); pre != "" {
				hp.Held = "held " + rootWords(p) + ": " + pre
			}
			hc.Paths = append(hc.Paths, hp)
		}
		out.Classes[c.Class] = hc
	}
	for _, g := range h.Collections {
		out.Collections = append(out.Collections, htmlCollection{Line: collectionLine(g), Words: pathWords(g.Path, g.Path.UserStart, false)})
	}
	return out
}

// writeGrowingCollections writes a trend's collections that grew at every
// step, as memlab lists them ("Map @85859 (sessions): 501 → 2501 → 3501").
func writeGrowingCollections(w io.Writer, list []diff.GrownCollection, paint func(color, s string) string) {
	if len(list) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s\n", paint(colorBold, "collections that grew at every step (matched by object id)"))
	for _, g := range list {
		fmt.Fprintf(w, "  %s\n", collectionLine(g))
		if len(g.Path.Steps) > 0 {
			fmt.Fprintf(w, "      %s\n", paint(colorDim, strings.Join(pathWords(g.Path, g.Path.UserStart, false), " → ")))
		}
	}
}

// moreWays says how many ways of holding a class's objects were left out.
func moreWays(n int) string {
	if n == 1 {
		return "1 more way"
	}
	return fmt.Sprintf("%d more ways", n)
}
