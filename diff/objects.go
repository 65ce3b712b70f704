package diff

import (
	"fmt"

	"github.com/heapdiff/heapdiff/profile"
)

// ObjectChange counts a heap snapshot comparison's objects by id, as the
// Comparison view of Chrome DevTools does: New objects are in the target
// only, Deleted ones in the base only. Objects in both are neither, so a
// class can show new and deleted objects with no change of count.
type ObjectChange struct {
	New, Deleted int64
}

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

// classIDs maps each class of a snapshot's class view to its object ids; ok
// is false when the profile is not a class view with ids (an allocation-stack
// view, say).
func classIDs(p *profile.Profile) (ids map[string][]uint64, ok bool) {
	ids = make(map[string][]uint64, len(p.Stacks))
	for _, st := range p.Stacks {
		if len(st.Frames) != 1 || st.IDs == nil && st.Values[0] != 0 {
			return nil, false
		}
		ids[p.Frames[st.Frames[0]].Function] = st.IDs
	}
	return ids, true
}

// addObjectChanges sets Row.Objects for the rows of a comparison of two heap
// snapshots grouped by class, when their object ids can be matched. It
// returns a warning when they cannot.
func addObjectChanges(rows []Row, base, target *profile.Profile) []error {
	if !base.IsHeapSnapshot() || !target.IsHeapSnapshot() {
		return nil
	}
	b, okB := classIDs(base)
	t, okT := classIDs(target)
	if !okB || !okT {
		return nil
	}
	if !idsMatch(b, t) {
		return []error{fmt.Errorf("object ids of %s and %s do not match (snapshots of different processes, or of Bun, which renumbers objects): new and deleted objects are not counted; the count delta still is", base.Name, target.Name)}
	}
	for i := range rows {
		r := &rows[i]
		if len(r.Frames) != 1 {
			continue
		}
		name := r.Frames[0].Function
		n, d := mergeCount(b[name], t[name])
		r.Objects = &ObjectChange{New: n, Deleted: d}
	}
	return nil
}

// idsMatch samples ids of the base and reports whether those the target
// also has belong, nearly all, to the same class there.
func idsMatch(base, target map[string][]uint64) bool {
	var total int
	for _, ids := range base {
		total += len(ids)
	}
	step := max(1, total/4096)
	sample := map[uint64]string{}
	i := 0
	for class, ids := range base {
		for _, id := range ids {
			if i%step == 0 {
				sample[id] = class
			}
			i++
		}
	}
	var found, same int
	for class, ids := range target {
		for _, id := range ids {
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

// mergeCount counts the ids only in target (new) and only in base (deleted);
// both lists are sorted.
func mergeCount(base, target []uint64) (newCount, deleted int64) {
	i, j := 0, 0
	for i < len(base) && j < len(target) {
		switch {
		case base[i] < target[j]:
			deleted++
			i++
		case base[i] > target[j]:
			newCount++
			j++
		default:
			i++
			j++
		}
	}
	return newCount + int64(len(target)-j), deleted + int64(len(base)-i)
}
