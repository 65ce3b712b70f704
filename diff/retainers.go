package diff

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/heapdiff/heapdiff/profile"
)

// Who holds what grew. A comparison says which classes grew; Holders says
// who keeps their new objects alive (the retainer paths, clustered, that
// the target snapshot gives for them) and which collections grew. diff
// decides what to ask: the classes that grew most, their new objects when
// ids match (all their objects otherwise), the collections matched by id.

// Holders is who keeps what grew alive, for a comparison of two heap
// snapshots.
type Holders struct {
	// Classes holds the retainer paths of the classes that grew most, in
	// the comparison's order.
	Classes []ClassHolders
	// NewOnly is set when the paths are those of the classes' new objects
	// (ids match between the snapshots); otherwise they are of all of
	// their objects.
	NewOnly bool
	// Collections lists the collections whose entries grew, the most
	// first; empty when ids do not match.
	Collections []GrownCollection
	// Unavailable says why there are no paths ("" when there are).
	Unavailable string
}

// ClassHolders is who holds the objects of one class.
type ClassHolders struct {
	Class string
	profile.RetainerPaths
}

// GrownCollection is a collection (a Map, a Set, an Array, an object used
// as a dictionary) whose entries grew from snapshot to snapshot.
type GrownCollection struct {
	ID    uint64
	Class string
	// Label names it by the variables and properties of its path
	// ("sessions", "bus._events.broadcast"); "" when its path has none.
	Label string
	// Entries, Size and Retained have one value per snapshot, oldest
	// first: 0 where the collection did not exist yet (its id is larger
	// than any there), -1 where it held fewer than Least entries.
	Entries, Size, Retained []int64
	// Least is, for each snapshot, the fewest entries a listed collection
	// has there.
	Least []int64
	// Path is its retainer path in the last snapshot.
	Path profile.RetainerPath
}

// Growth is how many entries the collection gained from the first snapshot
// to the last, at least: from Least-1 where it held fewer than Least.
func (g GrownCollection) Growth() int64 {
	first := g.Entries[0]
	if first < 0 {
		first = g.Least[0] - 1
	}
	return g.Entries[len(g.Entries)-1] - first
}

// HolderOptions bound what FindHolders asks for; zero values take the
// defaults.
type HolderOptions struct {
	Classes     int // classes that grew most (DefaultHolderClasses)
	Paths       int // clusters of paths per class (DefaultHolderPaths)
	Collections int // grown collections (DefaultHolderCollections)
}

// Defaults of HolderOptions.
const (
	DefaultHolderClasses     = 20
	DefaultHolderPaths       = 10
	DefaultHolderCollections = 10
)

// NoObjectGraph is what Holders.Unavailable says for profiles that carry no
// object graph (Go heap profiles, V8 sampling heap profiles).
const NoObjectGraph = "retainer paths need heap snapshots: this profile records where memory was allocated, not which objects hold which (see \"Who holds it: retainer paths\" in the README for what to do instead)"

// noObjectGraphs is NoObjectGraph for a trend asked for the collections
// that grew (TrendOptions.Collections).
const noObjectGraphs = "growing collections need heap snapshots: these profiles record where memory was allocated, not which objects hold which (see \"Who holds it: retainer paths\" in the README for what to do instead)"

// FindHolders finds who holds the new objects of the classes that grew
// most in c, a comparison of base and target by class, and which
// collections grew. The target must have been loaded with
// profile.Options.Retainers (and the base too, for collections);
// otherwise Holders.Unavailable says why there is nothing. Collections need
// both profiles' Collections (profile.Options.Collections).
func FindHolders(c *Comparison, base, target *profile.Profile, opts HolderOptions) *Holders {
	opts = opts.withDefaults()
	h := &Holders{}
	switch {
	case !target.IsHeapSnapshot():
		h.Unavailable = NoObjectGraph
		return h
	case target.Retainers == nil:
		h.Unavailable = "the target snapshot was loaded without retainers"
		return h
	case !target.IsClassView() || c.By == ByPackage:
		h.Unavailable = fmt.Sprintf("retainer paths are by class: compare with --by class, not --by %s", c.By)
		return h
	}
	baseIDs, idsOK := classIDs(base)
	targetLabels := map[string]string{} // class key → the target's label
	if len(target.ClassKeys) == len(target.Frames) {
		for i, k := range target.ClassKeys {
			targetLabels[k] = target.Frames[i].Function
		}
	}
	for _, r := range c.Rows {
		if r.Objects != nil {
			h.NewOnly = true
			break
		}
	}
	idsOK = idsOK && h.NewOnly
	for _, r := range c.Rows {
		if len(h.Classes) == opts.Classes {
			break
		}
		if r.Flat[c.Index].Delta() <= 0 || len(r.Frames) != 1 {
			continue
		}
		class, key := r.Frames[0].Function, r.classKey
		if key == "" {
			key = class
		}
		label := class
		if l, ok := targetLabels[key]; ok {
			label = l // the target's own label, which its retainers know
		}
		var keep func(uint64) bool
		if idsOK {
			old := baseIDs[key].ids
			keep = func(id uint64) bool {
				_, found := slices.BinarySearch(old, id)
				return !found
			}
		}
		paths := target.Retainers.Paths(label, keep, opts.Paths)
		if paths.Objects == 0 {
			continue
		}
		h.Classes = append(h.Classes, ClassHolders{Class: class, RetainerPaths: paths})
	}
	if idsOK && base.Collections != nil && target.Collections != nil {
		h.Collections = grownCollections([]profile.Collections{*base.Collections, *target.Collections}, []uint64{base.MaxObjectID, target.MaxObjectID}, target.Retainers, false, opts.Collections)
	}
	return h
}

func (o HolderOptions) withDefaults() HolderOptions {
	if o.Classes <= 0 {
		o.Classes = DefaultHolderClasses
	}
	if o.Paths <= 0 {
		o.Paths = DefaultHolderPaths
	}
	if o.Collections <= 0 {
		o.Collections = DefaultHolderCollections
	}
	return o
}

// grownCollections matches the collections of snapshots of one process by
// id and returns those of the last snapshot that grew: from the first
// snapshot to the last, or, when everyStep is set, at every step (listed in
// every snapshot, and strictly more entries at each than at the one
// before). The most grown first, at most limit, with their paths in the
// last snapshot when last is not nil.
func grownCollections(lists []profile.Collections, maxIDs []uint64, last profile.Retainers, everyStep bool, limit int) []GrownCollection {
	var out []GrownCollection
	for _, c := range lists[len(lists)-1].List {
		g := GrownCollection{ID: c.ID, Class: c.Class}
		grew := true
		for i, l := range lists {
			g.Least = append(g.Least, l.Least)
			j, found := slices.BinarySearchFunc(l.List, c.ID, func(c profile.Collection, id uint64) int { return cmp.Compare(c.ID, id) })
			if !found || l.List[j].Class != c.Class {
				missing := int64(-1)
				if c.ID > maxIDs[i] {
					missing = 0 // made since
				}
				g.Entries, g.Size, g.Retained = append(g.Entries, missing), append(g.Size, missing), append(g.Retained, missing)
				if everyStep || missing == 0 && !isCollectionClass(c.Class) {
					// A new object with a few properties is not a
					// collection that grew.
					grew = false
				}
				continue
			}
			e := l.List[j]
			if everyStep && i > 0 && e.Entries <= g.Entries[i-1] {
				grew = false
			}
			g.Entries, g.Size, g.Retained = append(g.Entries, e.Entries), append(g.Size, e.Size), append(g.Retained, e.Retained)
		}
		if grew && g.Growth() > 0 {
			out = append(out, g)
		}
	}
	slices.SortStableFunc(out, func(a, b GrownCollection) int {
		if c := cmp.Compare(b.Growth(), a.Growth()); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	for i := range out {
		if last == nil {
			break
		}
		if p, ok := last.PathOf(out[i].ID); ok {
			out[i].Path = p
			out[i].Label = p.Label()
		}
	}
	return out
}

// isCollectionClass reports whether objects of a class are collections
// whatever they hold: Maps, Sets and Arrays (other objects are when they
// hold many properties).
func isCollectionClass(class string) bool {
	switch class {
	case "Map", "Set", "Array":
		return true
	}
	return false
}

// GrowingCollections returns the collections that grew at every step of
// snapshots of one process (their collections and largest object ids,
// oldest first), the most grown first, at most limit
// (DefaultHolderCollections when limit is 0): memlab's "Map @85859: 501 >
// 2501 > 3501". last, when not nil, gives their paths in the last snapshot.
// The caller checks that the snapshots' ids match (one process).
func GrowingCollections(lists []profile.Collections, maxIDs []uint64, last profile.Retainers, limit int) []GrownCollection {
	if len(lists) < 2 {
		return nil
	}
	if limit <= 0 {
		limit = DefaultHolderCollections
	}
	return grownCollections(lists, maxIDs, last, true, limit)
}

// growingCollections returns the collections that grew at every step of
// the snapshots in order, when every one has its collections and their ids
// match (checkOneProcess found one process), with their paths in the last.
func (b *TrendBuilder) growingCollections(order []int) []GrownCollection {
	var lists []profile.Collections
	var maxIDs []uint64
	for _, j := range order {
		c := b.cols[j]
		if c.collections == nil || c.maxID == 0 {
			return nil
		}
		lists = append(lists, *c.collections)
		maxIDs = append(maxIDs, c.maxID)
	}
	return GrowingCollections(lists, maxIDs, b.cols[order[len(order)-1]].retainers, 0)
}
