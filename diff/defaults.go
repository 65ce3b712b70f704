package diff

import "github.com/heapdiff/heapdiff/profile"

// This file holds the grouping policy heapdiff's commands follow, exported
// so that a program using the library groups profiles as the CLI does.

// WantsAllocationStacks reports whether V8 heap snapshots taken with
// allocation tracking (node --track-heap-objects) should be loaded grouped
// by the stack that allocated their objects (profile.Options.AllocationStacks):
// only when a grouping was chosen on purpose (byChosen: the CLI's --by was
// given) and it is not ByClass. By default a snapshot shows one row per
// class, as DevTools does, since its classes are what a reader knows.
func WantsAllocationStacks(byChosen bool, by Grouping) bool {
	return byChosen && by != ByClass
}

// GroupingFor returns the grouping to compare profiles by, given the one
// asked for: ByClass when every profile is a heap snapshot holding classes
// (no allocation traces, or loaded by class on purpose), since its stacks
// are classes whatever was asked; otherwise by. With no profiles it is by.
func GroupingFor(by Grouping, profiles ...*profile.Profile) Grouping {
	if len(profiles) == 0 {
		return by
	}
	for _, p := range profiles {
		if !p.IsClassView() {
			return by
		}
	}
	return ByClass
}
