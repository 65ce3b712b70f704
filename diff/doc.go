// Package diff compares heap profiles: the second stage of heapdiff's pipeline
// (profile → diff → report). It is pure computation over the profile model and
// does no I/O.
//
// Compare groups the stacks of two profiles into rows (by allocation site,
// function, line, whole stack or package), computes for every sample type the
// base value, the target value and their difference, and decides for each
// difference whether it is beyond sampling noise.
//
// # Groupings
//
//   - site: the innermost frame that is the program's own code. Frames of the
//     Go runtime and standard library (a .go or .s file whose import path has no dot
//     in its first element, such as runtime.mallocgc, runtime.growslice,
//     bytes.Repeat or internal/bytealg.MakeNoZero) are skipped; if a stack has
//     nothing else, the innermost frame outside package runtime is used, and
//     failing that the leaf. Shown as "function file:line".
//   - func: the leaf function, exactly as pprof's -top reports flat values.
//   - line: the leaf source line, as pprof's -lines.
//   - stack: the whole call stack.
//   - package: the package of the site frame (so allocations made through
//     the runtime are charged to the package that asked for them).
//
// Cumulative values (Options.Cum) add each stack's values once to every
// group that appears anywhere in it, like pprof's cum column.
//
// # Sampling noise
//
// The Go runtime records one allocation per Period bytes on average (512 KiB
// by default): an allocation of s bytes is sampled with probability
// p = 1 - exp(-s/Period), and each sampled allocation is scaled up by 1/p. For
// a stack whose values say B bytes in N objects (average size s = B/N) the
// estimate therefore has a variance of
//
//	Var(bytes)   = B·s·(1-p)/p
//	Var(objects) = N·(1-p)/p
//
// which for small objects is about B·Period: a site of 10 MiB of small
// objects stands on about 20 samples and wobbles by about ±2.3 MiB. Variances
// add over the stacks of a row and over the two profiles, which are treated
// as independent samples. A change is Significant when its delta is more than
// NoiseThreshold (2) standard deviations, roughly a 95% test; otherwise
// renderers show "~", as benchstat does. Profiles with no sampling period (or
// a period that is not in bytes) are exact: every non-zero delta counts.
// Space and object types are paired by their prefix (inuse_space with
// inuse_objects); a bytes type with no partner assumes small objects
// (variance B·Period), the largest variance, so it never overstates a change.
package diff
