package diff

import (
	"fmt"
	"path"
	"time"

	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/profile"
)

// MinRateInterval is the shortest time between two snapshots from which a
// rate per hour is worked out: over less, the rate is an extrapolation of
// a few seconds' noise to an hour (two profiles taken at once would grow
// at infinite speed), and times recorded to the second are not precise
// enough to divide by.
const MinRateInterval = 10 * time.Second

// sameProgram judges whether two profiles can be compared as snapshots of
// one program, from what their producers wrote in them. Profiles of
// different programs (their languages differ, or the agent's main_module
// does) are refused with an error wrapping ErrMixed, unless allowMixed,
// when it becomes a warning.
// Profiles of different processes (host or pid differ) or of different
// builds (the main binary's build id or name differs) are compared, with a
// warning: each heap holds its own process's state, and a site that moved
// between builds shows as one row shrinking and another growing.
func sameProgram(base, target *profile.Profile, allowMixed bool) (warnings []error, err error) {
	if b, t := base.Language(), target.Language(); b != "" && t != "" && b != t {
		err := fmt.Errorf("%w: %s is a profile of a %s program and %s of a %s program: they share no allocation sites worth comparing", ErrMixed, base.Name, b, target.Name, t)
		if !allowMixed {
			return nil, err
		}
		warnings = append(warnings, err)
	}
	mb, mt := snapshot.ParseComments(base.Comments), snapshot.ParseComments(target.Comments)
	if b, t := mb.Get("main_module"), mt.Get("main_module"); b != "" && t != "" && b != t {
		err := fmt.Errorf("%w: %s is a profile of %s and %s of %s: different programs share no allocation sites worth comparing", ErrMixed, base.Name, b, target.Name, t)
		if !allowMixed {
			return nil, err
		}
		warnings = append(warnings, err)
	}
	if pb, pt := processOf(base.Comments), processOf(target.Comments); pb != "" && pt != "" && pb != pt {
		if base.Format == profile.FormatV8Snapshot && target.Format == profile.FormatV8Snapshot {
			// Objects are matched by id, which only one process gives:
			// new and deleted objects between two would be noise.
			err := fmt.Errorf("%w: %s comes from %s but %s from %s: a heap snapshot's object ids are its process's own, so which objects are new or gone means nothing across two",
				ErrMixed, base.Name, pb, target.Name, pt)
			if !allowMixed {
				return nil, err
			}
			warnings = append(warnings, err)
		} else {
			warnings = append(warnings, fmt.Errorf("%s comes from %s but %s from %s: two processes' heaps each hold their own state, so growth between them is not a leak of either", base.Name, pb, target.Name, pt))
		}
	}
	b, t := base.Main, target.Main
	switch {
	case b.BuildID != "" && t.BuildID != "" && b.BuildID != t.BuildID:
		warnings = append(warnings, fmt.Errorf("%s and %s come from different builds (build id %s, %s): a site that moved between them shows as one row shrinking and another growing", base.Name, target.Name, b.BuildID, t.BuildID))
	case b.File != "" && t.File != "" && path.Base(b.File) != path.Base(t.File):
		warnings = append(warnings, fmt.Errorf("%s and %s come from different binaries (%s, %s)", base.Name, target.Name, b.File, t.File))
	}
	return warnings, nil
}

// classesOnly refuses to group by class a profile that has no classes:
// only a heap snapshot's class view does. A Go heap profile's or a V8
// sampling heap profile's frames are functions, so "class" would silently
// mean "function".
func classesOnly(p *profile.Profile) error {
	if p.IsClassView() {
		return nil
	}
	return fmt.Errorf("%s is %s, whose stacks are allocation stacks with no classes: --by class groups heap snapshots' objects; use --by func or --by site", p.Name, kindOf(p))
}
