// Package diff compares heap profiles: the second stage of heapdiff's pipeline
// (profile → diff → report). It is pure computation over the profile model and
// does no I/O.
//
// Compare groups the stacks of two profiles into rows (by allocation site,
// function, line, whole stack, package or a heap snapshot's class),
// computes for every sample type the base value, the target value and
// their difference, and decides for each difference whether it is beyond
// sampling noise. A TrendBuilder follows a series of snapshots the same way
// (see Trends), and CheckComparison and CheckTrend judge either against
// budgets (see Budgets).
//
// # Groupings
//
//   - site: the innermost frame that is the program's own code. Frames of the
//     Go runtime and standard library (a .go or .s file whose import path
//     starts with one of the standard library's top-level elements, as go
//     list std lists them, such as runtime.mallocgc, runtime.growslice,
//     bytes.Repeat or internal/bytealg.MakeNoZero; a module named without a
//     dot, such as myapp, is the program's own) are skipped, and so are
//     JavaScript's: V8 built-ins (named frames without a script, such as a
//     Map's "set") and Node.js modules ("node:internal/..."). If a stack has
//     nothing else, the innermost frame outside package runtime is used, and
//     failing that the leaf. Shown as "function file:line".
//   - func: the leaf function, exactly as pprof's -top reports flat values.
//   - line: the leaf source line, as pprof's -lines.
//   - stack: the whole call stack.
//   - package: the package of the site frame (so allocations made through
//     the runtime are charged to the package that asked for them).
//   - class: the class of a heap snapshot's objects (the leaf frame of the
//     one-frame stacks a class view holds), as in DevTools.
//
// Cumulative values (Options.Cum) add each stack's values once to every
// group that appears anywhere in it, like pprof's cum column.
//
// # Detail
//
// What a page that explains the rows draws, Compare keeps in the same pass
// over the profiles when Options.Detail asks for it (Comparison.Detail): the
// call tree of both profiles merged by function, each of the first rows'
// largest call stacks, and the changes by allocation site whatever the
// grouping (a treemap's). It sees each stack the filters keep, with the row
// Compare put it in, sums it by site as it goes, and builds the tree and
// the rows' stacks once the rows are sorted, from the profiles' own stacks
// rather than copies. DetailOptions bound its size (the tree's smallest
// nodes are folded, a row keeps its largest stacks); the HTML report's
// bounds are report's (report.HTMLOptions).
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
// (variance B·Period), the largest variance, so it never overstates a change,
// and a count with no partner is Poisson (variance N). A V8 sampling heap
// profile's types are never paired: its objects/count is the number of
// samples, not an estimate of objects scaled like its space/bytes, so B/N is
// not an object's size; its bytes are B·Period and its counts Poisson.
//
// # Trends
//
// A TrendBuilder follows one process over many snapshots. Each profile is
// reduced, as it is added, to the values of one sample type per group (the
// same groupings, sample-index rules, filters, totals and noise model as
// Compare: a retained size's total is the whole heap's), and never holds
// a profile longer than Add does. Those values, 24 bytes per group per
// snapshot, stay in memory, or past a budget go to a file the caller gives
// (TrendOptions.Spill), so that memory grows with groups and not with
// snapshots; Trend reads them back a block of groups at a time, and only
// the first TrendOptions.KeepValues series keep theirs. Trend then orders
// the snapshots by their time (in the order added, with a warning, when
// one has none) and refuses (ErrMixed, unless
// TrendOptions.AllowMixed) snapshots whose sample types differ, whose comments
// name different processes (host= and pid=, as heapdiff's agent writes them),
// or whose cumulative alloc_* totals fall from one snapshot to the next, which
// only a restart does.
//
// For every group, and for the total, Trend computes:
//
//   - the slope: least squares on the snapshots' real times, per hour (per
//     snapshot when untimed), and R², the share of the values' variance the
//     line explains (0 when they do not vary);
//   - the slope's noise, from a model of how the snapshots' sampling errors
//     are related. They are not independent: an object sampled while alive
//     stays sampled, so two snapshots share the error of the bytes live at
//     both, and a population that is constant in truth (a full cache that
//     turns over) moves in long runs in the sampled data. Where the profiles
//     carry cumulative allocations beside live ones (Go's alloc_space beside
//     inuse_space), the share is estimated per group: Cov(e_i, e_j) =
//     S_ij·√(c_i·c_j), with c a value's variance per byte and S_ij, the
//     bytes live at both i < j, at least v_j less what the group allocated
//     between them and at most the smaller value. A leak (it keeps what it
//     allocates) shares all of v_i, so its errors accumulate; churn shares
//     nothing, so its errors are independent; a full cache shares what it
//     has not yet replaced. Without allocations the noise is the largest of
//     three models: independent; accumulating (Var = Σ_j max(0, Var_j -
//     Var_{j-1})·(Σ_{i≥j} w_i)², so one sample gained and kept is exactly
//     one standard deviation of slope); and stationary, a constant
//     population whose objects live L and are then replaced (correlation
//     max(0, 1-d/L) or exp(-d/L) between snapshots d apart), at the worst L
//     from a sixteenth of the span to four spans. Any statistic linear in
//     the values (a slope, a rise) takes its noise from the same model;
//   - the growth from the first snapshot to the last, a Change as Compare
//     would see it, and the steps between consecutive snapshots that grew and
//     that shrank (Series.UpShare).
//
// The slope is significant when it exceeds NoiseThreshold (2) standard
// deviations of its noise. The shape, tried in this order:
//
//   - flat: the slope is not significant, and the values do not scatter
//     around their mean more than sampling noise explains: Q = Σ(v - mean)² /
//     mean(Var) stays below the quantile of χ² with n-1 degrees of freedom
//     that a normal variable exceeds NoiseThreshold deviations above its mean
//     (Wilson-Hilferty). The test weighs all values at once, so the few
//     extremes of a long noisy series do not count as movement;
//   - plateau (grew, then stopped: a cache filling), tried before flat,
//     since a fill whose errors persist can rise well beyond noise from its
//     first value to its level while neither the slope nor the scatter over
//     the whole series does: the slope is not
//     significantly negative, and for the snapshot k where a line that rises
//     until k and stays level after fits best (least squares, leaving at
//     least a third of the series and 3 snapshots after k): the mean from k
//     on exceeds the first value significantly (the first value's variance
//     taken as at least the series' mean, so a first value of 0 by
//     sampling luck is not exact), the slope from k on is at
//     most PlateauSlowdown (1/4) of the slope up to k (and, where the
//     profiles carry allocations, less than it by more than NoiseThreshold
//     deviations of their difference), the series did not
//     grow significantly over its last third (the slope fitted over it),
//     and the values from k on do not scatter beyond noise (the test of
//     flat). Series.StoppedAt is k;
//   - steady growth (the leak signature): the slope is significantly
//     positive, R² ≥ MinSteadyR2 (0.7), and, where the profiles carry
//     allocations, the series still grew significantly over its last
//     third: a leak keeps growing to the end, while the sampled value of a
//     full cache wanders;
//   - faint growth: steady growth but for the last third, whose growth is
//     within noise: too few samples to tell a slow leak from a cache that
//     filled and held. More snapshots, a longer window or a finer
//     runtime.MemProfileRate decide it;
//   - shrinking: the slope is significantly negative and R² ≥ MinSteadyR2, or
//     the series fell and then stopped (the plateau rule, upside down);
//   - sawtooth/noisy: everything else that moves beyond noise.
//
// The false-positive rates are tested by simulating Go's sampling of known
// populations (TestShapesUnderSampling): full LRUs turning over 1% to 100%
// of their entries between snapshots, and an LRU that fills over the first
// third of the window and then holds, come out steady growth in at most
// 2.5% of seeds where the profiles carry allocations. Without them the
// end of a slow leak cannot be told from the wandering of a full cache,
// and a cache that fills then holds comes out steady growth in about one
// window in ten.
//
// Series (Trend.Series, one per group) are ranked steady growth first,
// then faint growth, plateau, sawtooth/noisy, flat and shrinking; by slope
// within each (flat series by their last value, faint growth by the slope's
// standard deviations).
//
// # Budgets
//
// CheckComparison and CheckTrend judge Budgets on the total's growth (in the
// sample type's unit, or as a percentage of its start), any one group's
// growth (GroupGrowth, "site growth" after the default grouping), and the
// total's or any group's growth per hour. On a comparison, growth is the
// delta and a rate the delta per hour of the interval; on a trend, growth
// is the least-squares line's (slope × span) and a rate its slope. A budget
// is over only when the measured value exceeds it and is significant, so a
// change within sampling noise never fails it. On a trend, a group over a
// per-group budget fails it only if its shape is steady growth; the others
// are listed as excused.
package diff
