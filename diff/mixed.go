package diff

import (
	"fmt"
	"time"

	"github.com/heapdiff/heapdiff/agent/snapshot"
)

// MinRateInterval is the shortest time between two snapshots from which a
// rate per hour is worked out: over less, the rate is an extrapolation of
// a few seconds' noise to an hour (two profiles taken at once would grow
// at infinite speed), and times recorded to the second are not precise
// enough to divide by.
const MinRateInterval = 10 * time.Second

// sameProgram judges whether two profiles can be compared as snapshots of
// one program, from what their producers wrote in them. Profiles of
// different programs (their main_module differs) are refused with an error
// wrapping ErrMixed, unless allowMixed, when it becomes a warning.
// Profiles of different processes (host or pid differ) of one program are
// compared, with a warning: each heap holds its own process's state.
func sameProgram(baseName, targetName string, base, target []string, allowMixed bool) (warnings []error, err error) {
	if mb, mt := snapshot.ParseComments(base).Get("main_module"), snapshot.ParseComments(target).Get("main_module"); mb != "" && mt != "" && mb != mt {
		err := fmt.Errorf("%w: %s is a profile of %s and %s of %s: different programs share no allocation sites worth comparing", ErrMixed, baseName, mb, targetName, mt)
		if !allowMixed {
			return nil, err
		}
		warnings = append(warnings, err)
	}
	if pb, pt := processOf(base), processOf(target); pb != "" && pt != "" && pb != pt {
		warnings = append(warnings, fmt.Errorf("%s comes from %s but %s from %s: two processes' heaps each hold their own state, so growth between them is not a leak of either", baseName, pb, targetName, pt))
	}
	return warnings, nil
}
