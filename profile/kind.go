package profile

import (
	"strings"

	"github.com/heapdiff/heapdiff/profile/v8"
)

// This file answers, once, the questions the rest of heapdiff asks about
// what a profile and its sample types are, so that no package tests format
// names, units or type-name prefixes itself.

// IsHeapSnapshot reports whether the format is a V8 heap snapshot: its
// stacks are classes of live objects, not allocation sites.
func (f Format) IsHeapSnapshot() bool { return f == FormatV8Snapshot }

// CountsRawSamples reports whether a profile of this format counts objects
// as raw sample tallies rather than as estimates scaled like its bytes: true
// for V8 sampling heap profiles, whose objects/count is the number of
// samples (bytes over count is about the sampling interval, not an object's
// size), so the two types must not be read as a space/objects pair.
func (f Format) CountsRawSamples() bool { return f == FormatV8HeapProfile }

// Holds describes what a profile of this format holds, for messages that
// refuse to compare different kinds; pprof and legacy text, both Go-style
// heap profiles, hold the same kind.
func (f Format) Holds() string {
	switch f {
	case FormatV8Snapshot:
		return "a V8 heap snapshot (live objects by class)"
	case FormatV8HeapProfile:
		return "a V8 sampling heap profile"
	}
	return "a heap profile"
}

// IsHeapSnapshot reports whether the profile was read from a heap snapshot:
// its values are counts and sizes of live objects, not sampled allocations.
func (p *Profile) IsHeapSnapshot() bool { return p.Format.IsHeapSnapshot() }

// IsClassView reports whether the profile is a heap snapshot grouped by
// class: one stack per class, each a single frame naming the class with no
// source file (allocation-stack views have files and deeper stacks). It is
// the mark that grouping by class means something: a sampling heap profile's
// or a Go profile's frames are functions, not classes.
func (p *Profile) IsClassView() bool {
	if !p.IsHeapSnapshot() {
		return false
	}
	for _, s := range p.Stacks {
		if len(s.Frames) != 1 || p.Frames[s.Frames[0]].File != "" {
			return false
		}
	}
	return true
}

// Language names the language of the program a profile was taken of, as
// its frames' source files tell: "Go" (.go files), "JavaScript" (the
// scripts and built-in modules v8.ScriptPackage knows: .js, .ts and the
// like, node: and bun:; and every V8 format), or "" when they do not tell
// (no files, as in an unsymbolized profile, or too even a mix). Two profiles of different languages are of different programs,
// whatever producer wrote them: @datadog/pprof writes Node.js heaps in the
// same pprof format as Go's runtime.
func (p *Profile) Language() string {
	if p.Format == FormatV8Snapshot || p.Format == FormatV8HeapProfile {
		return "JavaScript"
	}
	var goFiles, jsFiles int
	for _, f := range p.Frames {
		switch {
		case strings.HasSuffix(f.File, ".go"):
			goFiles++
		case isScriptFile(f.File):
			jsFiles++
		}
	}
	// Nine in ten of the frames that tell: a Go program that runs
	// scripts, or a Node.js one with a native addon, is still its host's.
	switch {
	case goFiles > 0 && 10*goFiles >= 9*(goFiles+jsFiles):
		return "Go"
	case jsFiles > 0 && 10*jsFiles >= 9*(goFiles+jsFiles):
		return "JavaScript"
	}
	return ""
}

// isScriptFile reports whether a frame's file is a script's that Node.js
// or Bun runs (JavaScript or TypeScript), or a built-in module's.
func isScriptFile(file string) bool {
	_, ok := v8.ScriptPackage(file)
	return ok
}

// IsBytes reports whether the type is measured in bytes (inuse_space,
// shallow_size, ...).
func (v ValueType) IsBytes() bool { return v.Unit == "bytes" }

// IsCount reports whether the type counts things (objects, samples): its
// unit is "count" or "objects".
func (v ValueType) IsCount() bool { return v.Unit == "count" || v.Unit == "objects" }

// Cumulative reports whether the type totals everything allocated since the
// process started (alloc_space, alloc_objects): its values only grow while a
// process lives, so a fall means a restart.
func (v ValueType) Cumulative() bool { return strings.HasPrefix(v.Type, "alloc_") }

// Live reports whether the type measures what is in use at the moment the
// profile was taken (inuse_space, inuse_objects).
func (v ValueType) Live() bool { return strings.HasPrefix(v.Type, "inuse_") }

// Allocated returns the cumulative type that counts what the live type v
// keeps, alloc_space for inuse_space, with the same unit; ok is false when v
// is not a live type.
func (v ValueType) Allocated() (t ValueType, ok bool) {
	name, ok := strings.CutPrefix(v.Type, "inuse_")
	if !ok {
		return ValueType{}, false
	}
	return ValueType{Type: "alloc_" + name, Unit: v.Unit}, true
}
