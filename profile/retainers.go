package profile

import "strings"

// Who keeps a heap snapshot's objects alive: what a profile loaded with
// Options.Retainers (or Options.Collections) answers, in terms that do not
// depend on V8. Package profile/v8 finds the paths (see its package doc for
// how) and the adapter (v8adapt.go) gives them in these terms, their
// strings escaped; diff chooses what to ask for, report shows the answers.

// Retainers answers, for a heap snapshot loaded with Options.Retainers,
// who holds its objects. Go heap profiles and sampling heap profiles have
// no object graph, and no Retainers.
type Retainers interface {
	// Paths returns the retainer paths of the objects of a class (a class
	// view's frame Function) whose ids keep accepts (every object of the
	// class when keep is nil), clustered by the way they are held: most
	// retained bytes first, at most limit clusters (all when limit is 0).
	Paths(class string, keep func(id uint64) bool, limit int) RetainerPaths
	// PathOf returns the retainer path of the object with the given id;
	// ok is false when the snapshot has no such object.
	PathOf(id uint64) (path RetainerPath, ok bool)
}

// RetainerPaths is who holds a set of objects: their paths, clustered.
type RetainerPaths struct {
	Objects  int64 // the objects asked for
	Retained int64 // the bytes they retain, none counted twice
	// Paths holds one path per way of holding the objects, with how many
	// objects are held that way and what they retain.
	Paths   []RetainerPath
	Omitted int // ways left out by the limit
}

// Where a retainer path starts.
const (
	// RootGlobal: a user root, the global object.
	RootGlobal = "global"
	// RootModule: a user root, then the runtime's module system (Node.js's
	// require cache, a module's exports).
	RootModule = "module"
	// RootSystem: V8's own roots only (handles, the stack, compiled code):
	// no path from the global object holds the object.
	RootSystem = "system"
	// RootUnreachable: nothing reached holds the object (V8 had not yet
	// collected it).
	RootUnreachable = "unreachable"
)

// RetainerPath is a path from a root to an object: the chain Chrome
// DevTools' Retainers view expands, and how many objects are held the same
// way.
type RetainerPath struct {
	Objects  int64 // objects held this way (1 for one object's path)
	Retained int64 // the bytes they retain, none counted twice
	// Steps run from the root end (Steps[0]) to the object (the last).
	Steps []RetainerStep
	// Cut is set when the path's root end is left out: it was longer than
	// the longest path kept (100 steps).
	Cut bool
	// Root says where the path starts: RootGlobal, RootModule, RootSystem
	// or RootUnreachable.
	Root string
	// UserStart is the index of the first step of the part of the path the
	// program made, after the runtime's own objects (its globals, module
	// system, timers) and the closure whose scope holds it: renderers show
	// that part first.
	UserStart int
}

// RetainerStep is an object on a retainer path and the edge into it.
type RetainerStep struct {
	// EdgeType is V8's type of the edge from the previous step's object:
	// "property", "element", "context" (a variable of a closure's scope),
	// "internal", "hidden" or "shortcut"; "" on the first step. Weak edges
	// are never on a path.
	EdgeType string
	// EdgeName is the edge's name: a property or variable name, an element
	// index, an internal field (a Map's "table"). Names come from the
	// program: they are untrusted text.
	EdgeName string
	// Names counts the distinct names the path's objects take at this step
	// when they are the keys of one object used as a dictionary (0 or 1
	// otherwise; counting stops past 1000).
	Names int
	// NodeType is V8's type of the object: "object", "closure", "array",
	// "hidden", "native", "synthetic", "string"...
	NodeType string
	// Class is the class the class view puts the object in.
	Class string
	// Name is the object's own name where it says more than its class: a
	// function's name, "system / Context" for a scope; "" otherwise.
	Name string
	// ID is the object's id in the snapshot.
	ID uint64
}

// Collections lists a snapshot's collections: its Maps, Sets, Arrays and
// other objects holding at least Least objects, by id.
type Collections struct {
	List []Collection
	// Least is the fewest entries a listed collection has: a collection
	// not listed has fewer.
	Least int64
}

// Collection is an object holding many others: a Map, a Set, an Array, or
// any other object by its properties and elements (an object used as a
// dictionary, an EventEmitter's _events).
type Collection struct {
	ID    uint64
	Class string
	// Entries counts the objects it references: a Map's entry counts once
	// whether its key, its value or both are objects.
	Entries int64
	// Size is its shallow size, with its backing store (as DevTools counts).
	Size     int64
	Retained int64
}

// Label names what a path leads to in the program's words: the variable
// and property names of its user part, joined by dots ("sessions",
// "bus._events.broadcast"); "" when it has none.
func (p RetainerPath) Label() string {
	var parts []string
	for _, s := range p.Steps[min(p.UserStart, len(p.Steps)):] {
		switch s.EdgeType {
		case "context", "property", "shortcut":
			parts = append(parts, s.EdgeName)
		}
	}
	return strings.Join(parts, ".")
}
