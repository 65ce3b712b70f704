package diff

import (
	"fmt"

	"github.com/heapdiff/heapdiff/profile"
)

// ObjectChange counts a heap snapshot comparison's objects by id, as the
// Comparison view of Chrome DevTools does: New objects are in the target
// only, Deleted ones in the base only. Objects in both are neither, so a
// class can show new and deleted objects with no change of count.
//
// NewSize and DeletedSize add up those objects' shallow sizes: DevTools'
// Alloc. Size and Freed Size, whose difference is its Size Delta
// (SizeDelta). That is not the change of the class's shallow size (the
// row's shallow_size delta), which also counts objects in both snapshots
// whose size changed: a Map whose table grew is one object, neither new nor
// deleted, and bigger.
type ObjectChange struct {
	New, Deleted         int64
	NewSize, DeletedSize int64
}

// SizeDelta returns NewSize - DeletedSize, DevTools' Size Delta.
func (o ObjectChange) SizeDelta() int64 { return o.NewSize - o.DeletedSize }

// idConsistency is the share of sampled object ids found in both snapshots
// that must name objects of the same class for ids to be trusted: Node.js
// keeps an object's id for its life, Bun gives new ids at every snapshot.
const idConsistency = 0.9

// kindOf names the kind of data a profile holds, for refusing to compare
// different kinds.
func kindOf(p *profile.Profile) string { return p.Format.Holds() }

// sameKind refuses to compare a heap snapshot with a profile, or a V8
// sampling heap profile with a pprof one: their values mean different things.
func sameKind(base, target *profile.Profile) error {
	if kb, kt := kindOf(base), kindOf(target); kb != kt {
		return fmt.Errorf("%s is %s and %s is %s: they measure different things and cannot be compared; compare two of the same kind", base.Name, kb, target.Name, kt)
	}
	return nil
}

// classObjects are the objects of a class of a snapshot: their ids, in
// increasing order, and their shallow sizes.
type classObjects struct {
	ids   []uint64
	sizes []uint32
}

// classIDs maps each class of a snapshot's class view, by its key (its
// label when the profile has no keys), to its objects; ok is false when the
// profile is not a class view with ids (an allocation-stack view, say).
func classIDs(p *profile.Profile) (objects map[string]classObjects, ok bool) {
	objects = make(map[string]classObjects, len(p.Stacks))
	keyed := len(p.ClassKeys) == len(p.Frames)
	if len(p.Objects) != len(p.Stacks) {
		return nil, false
	}
	for i, st := range p.Stacks {
		o := p.Objects[i]
		if len(st.Frames) != 1 || o.IDs == nil && st.Values[0] != 0 || len(o.Sizes) != len(o.IDs) {
			return nil, false
		}
		key := p.Frames[st.Frames[0]].Function
		if keyed {
			key = p.ClassKeys[st.Frames[0]]
		}
		objects[key] = classObjects{o.IDs, o.Sizes}
	}
	return objects, true
}

// classKey returns the key a comparison's class row was grouped by: its
// class's key, or for profiles without keys its name.
func (g *grouper) classKey(r Row) string {
	if l := g.infos[r.order].label; l != nil && l.key != "" {
		return l.key
	}
	return r.Frames[0].Function
}

// addObjectChanges sets Row.Objects for the rows of a comparison of two heap
// snapshots grouped by class, when their object ids can be matched; keyOf
// gives the class key a row was grouped by. It returns a warning when they
// cannot.
func addObjectChanges(rows []Row, base, target *profile.Profile, keyOf func(Row) string) []error {
	if !base.IsHeapSnapshot() || !target.IsHeapSnapshot() {
		return nil
	}
	b, okB := classIDs(base)
	t, okT := classIDs(target)
	if !okB || !okT {
		return nil
	}
	if !idsMatch(b, t) {
		return []error{fmt.Errorf("object ids of %s and %s do not match (snapshots of different processes, or of Bun, which renumbers objects): new and deleted objects and their sizes (DevTools' # new, # deleted, Alloc. Size, Freed Size, Size Delta) are not counted; the count, shallow and retained deltas still are", base.Name, target.Name)}
	}
	for i := range rows {
		r := &rows[i]
		if len(r.Frames) != 1 {
			continue
		}
		key := keyOf(*r)
		o := mergeCount(b[key], t[key])
		r.Objects = &o
	}
	return nil
}

// idsMatch samples ids of the base and reports whether those the target
// also has belong, nearly all, to the same class there.
func idsMatch(base, target map[string]classObjects) bool {
	var total int
	for _, o := range base {
		total += len(o.ids)
	}
	step := max(1, total/4096)
	sample := map[uint64]string{}
	i := 0
	for class, o := range base {
		for _, id := range o.ids {
			if i%step == 0 {
				sample[id] = class
			}
			i++
		}
	}
	var found, same int
	for class, o := range target {
		for _, id := range o.ids {
			if c, ok := sample[id]; ok {
				found++
				if c == class {
					same++
				}
			}
		}
	}
	return found > 0 && float64(same) >= idConsistency*float64(found)
}

// mergeCount counts the objects only in target (new) and only in base
// (deleted), and adds up their sizes; both lists are sorted by id.
func mergeCount(base, target classObjects) (o ObjectChange) {
	i, j := 0, 0
	for i < len(base.ids) && j < len(target.ids) {
		switch {
		case base.ids[i] < target.ids[j]:
			o.Deleted++
			o.DeletedSize += int64(base.sizes[i])
			i++
		case base.ids[i] > target.ids[j]:
			o.New++
			o.NewSize += int64(target.sizes[j])
			j++
		default:
			i++
			j++
		}
	}
	for ; i < len(base.ids); i++ {
		o.Deleted++
		o.DeletedSize += int64(base.sizes[i])
	}
	for ; j < len(target.ids); j++ {
		o.New++
		o.NewSize += int64(target.sizes[j])
	}
	return o
}
