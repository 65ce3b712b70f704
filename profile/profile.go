// Package profile loads heap profiles of every supported format into one small
// model: the first stage of heapdiff's pipeline (profile → diff → report).
//
// A Profile keeps only what a comparison needs: its sample types, its sampling
// period, its time and comments, and its call stacks with one value per sample
// type. Frames are interned: Stack.Frames holds indexes into Profile.Frames,
// innermost (leaf) frame first. Samples that differ only by their labels (the Go
// runtime puts a "bytes" label on each) are merged into one stack.
//
// Load and Parse accept gzipped or plain pprof protobuf (decoded by a lean
// streaming decoder that keeps only what the model needs), through
// github.com/google/pprof/profile the legacy text heap formats (Go's debug=1
// heap profile, tcmalloc heapz and growthz, and Java heapz), and what V8
// writes for Node.js, Chromium and Bun: heap snapshots and sampling heap
// profiles. Package profile/v8 reads those and analyses snapshots (classes,
// dominator tree, retained sizes); the adapter in v8adapt.go makes the
// model of what it returns. A heap snapshot becomes one stack per class
// (objects, shallow and retained size, and the sorted ids of its objects),
// or per allocation stack when the snapshot has allocation traces and
// Options.AllocationStacks asks; Options.KeepSnapshot keeps its graph in
// Profile.Snapshot for analyses that walk it. Loaded with
// Options.Retainers, a snapshot also answers who holds its objects
// (Profile.Retainers: the paths Chrome DevTools' Retainers view expands,
// clustered) and lists its collections (Profile.Collections); profile/v8
// finds them (see its package doc for how, and why not from the dominator
// tree), and retainers.go holds the model's types for them.
//
// Every file is read as possibly hostile: gzip bombs stop at Options.MaxSize,
// which loads running at the same time share; loading takes memory bounded
// by a multiple of the file's size (16 times for pprof, 10 for V8, plus 64
// MiB); a malformed file is one error naming it, never a panic; and strings
// are escaped so that a report cannot disturb the terminal it is printed
// in.
package profile

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/heapdiff/heapdiff/profile/v8"
)

// Profile is a heap profile reduced to its call stacks and their values.
type Profile struct {
	// Name says where the profile came from: a file path, or "-" for standard input.
	Name string
	// Format is the encoding it was read from, such as FormatPprof. It
	// decides what the profile's stacks are (allocation sites, or a heap
	// snapshot's classes) and so which comparisons make sense.
	Format Format
	// SampleTypes names each value of a stack, e.g. inuse_space/bytes.
	SampleTypes []ValueType
	// DefaultSampleType is the type the producer suggests showing, or "".
	DefaultSampleType string
	// PeriodType and Period give the sampling rate: for a Go heap profile,
	// space/bytes and 524288, one sampled allocation per 512 KiB on average.
	PeriodType ValueType
	Period     int64
	// Time is when the profile was taken; zero when the profile does not say.
	Time time.Time
	// TimeSource says where Time came from: the profile itself, or, for
	// heap snapshots, which hold none, the name Node.js or Bun gave the
	// file (or its modification time, when asked: see UseModTime).
	TimeSource TimeSource
	// Duration is the span the profile covers, when the producer records it.
	Duration time.Duration
	// Main is the program's main binary as the profile names it (pprof's
	// first mapping): its path and build id, "" where the profile does not
	// say. Two profiles whose binaries differ come from different builds.
	Main Binary
	// Comments holds the producer's free-form notes (heapdiff's agent writes
	// host, pid and memory figures here): what the file said.
	Comments []string
	// Notes holds what the loader has to tell the reader about how it read
	// the file (e.g. that a heap snapshot has allocation traces another
	// grouping would show); comparisons pass them on as warnings.
	Notes []string
	// Frames is the table of distinct frames that Stack.Frames indexes.
	Frames []Frame
	// ClassKeys holds, for a heap snapshot grouped by class, the key of
	// the class each frame names, in the order of Frames (nil for other
	// profiles): v8.Class.Key, the class's name with where its
	// constructor is defined, which, unlike the frame's label, does not
	// depend on the snapshot's other classes. Comparisons and trends match
	// classes by it and label them from every snapshot's keys, so a class
	// keeps one row and one label when a module loaded between two
	// snapshots gives its name a second definition.
	ClassKeys []string
	// Stacks holds one entry per distinct call stack.
	Stacks []Stack
	// Objects holds, for a heap snapshot, the objects each stack counts,
	// in the order of Stacks; nil for other profiles.
	Objects []Objects
	// Whole gives the whole profile's value of each sample type whose stack
	// values overlap, so that their sum means nothing: a heap snapshot's
	// retained sizes (a Map retains its entries, and both are counted). For
	// retained_size it is what the snapshot's root retains, the reachable
	// heap. Types not in Whole add up over the stacks.
	Whole map[string]int64
	// MaxObjectID is, for a heap snapshot, the largest id of an object of
	// the JavaScript heap (native and synthetic nodes left out: V8 derives
	// their ids otherwise); 0 for other profiles. An engine gives ids in
	// increasing order and never twice in a process (Bun renumbers all
	// objects at each snapshot, after the last id it gave), so it does not
	// fall from one snapshot of a process to the next: when it does, the
	// later snapshot is of another process, a restart.
	MaxObjectID uint64
	// Snapshot is the parsed graph of the V8 heap snapshot the profile was
	// made from, kept when Options.KeepSnapshot asks (nil otherwise): its
	// nodes, edges and object ids, with DevTools' shallow sizes. Its
	// strings are as the file gives them, not escaped as the profile's.
	Snapshot *v8.Snapshot
	// Retainers answers who holds the objects of a heap snapshot loaded
	// with Options.Retainers; nil otherwise.
	Retainers Retainers
	// Collections lists the collections of a heap snapshot loaded with
	// Options.Retainers or Options.Collections; nil otherwise.
	Collections *Collections
}

// Format is an encoding a Profile can be read from. It is decided once, by
// the loader, and everything downstream asks it rather than comparing
// strings; String gives the name shown in reports.
type Format uint8

// Formats a Profile can be read from.
const (
	// formatUnknown is the zero Format: not (yet) recognised.
	formatUnknown Format = iota
	// FormatPprof is pprof's protobuf encoding, gzipped or not.
	FormatPprof
	// FormatLegacy is a text format parsed by github.com/google/pprof/profile.
	FormatLegacy
	// FormatV8Snapshot is a V8 heap snapshot (.heapsnapshot), as written by
	// Node.js, Chrome DevTools and Bun's generateHeapSnapshot("v8").
	FormatV8Snapshot
	// FormatV8HeapProfile is a V8 sampling heap profile (.heapprofile), as
	// written by node --heap-prof and DevTools' "Allocation sampling".
	FormatV8HeapProfile
	// formatJSCSnapshot is JavaScriptCore's heap snapshot, recognised only
	// to be refused with ErrJSCSnapshot.
	formatJSCSnapshot
)

// String returns the format's name as reports (text, JSON, HTML) show it,
// e.g. "pprof" or "v8 heap snapshot"; "" for an unknown format.
func (f Format) String() string {
	switch f {
	case FormatPprof:
		return "pprof"
	case FormatLegacy:
		return "legacy text"
	case FormatV8Snapshot:
		return "v8 heap snapshot"
	case FormatV8HeapProfile:
		return "v8 sampling heap profile"
	case formatJSCSnapshot:
		return "jsc heap snapshot"
	}
	return ""
}

// Binary names a program's executable: its path and its build id.
type Binary struct {
	File    string
	BuildID string
}

// ValueType describes one kind of value: what is counted and in which unit.
type ValueType struct {
	Type string // e.g. "inuse_space"
	Unit string // e.g. "bytes"
}

// String returns "type/unit", the notation pprof uses.
func (v ValueType) String() string { return v.Type + "/" + v.Unit }

// Frame is one entry of a call stack: a source line of a function, or a bare
// address when the profile carries no symbols.
type Frame struct {
	Function string // fully qualified name, "" when unsymbolized
	File     string // source file path, as recorded by the producer
	Line     int64  // 1-based line number, 0 when unknown
	Address  uint64 // instruction address; kept only for unsymbolized frames
	Module   string // the binary or library mapping the address, if known
}

// Symbolized reports whether the frame has a function name.
func (f Frame) Symbolized() bool { return f.Function != "" }

// String returns the frame as "function file:line", or the address (with its
// module) when the frame has no symbol.
func (f Frame) String() string {
	if !f.Symbolized() {
		if f.Module != "" {
			return fmt.Sprintf("%s+0x%x", baseName(f.Module), f.Address)
		}
		return fmt.Sprintf("0x%x", f.Address)
	}
	if f.File == "" {
		return f.Function
	}
	if f.Line == 0 {
		return f.Function + " " + baseName(f.File)
	}
	return f.Function + " " + baseName(f.File) + ":" + strconv.FormatInt(f.Line, 10)
}

// AnonymousFunction is the name V8 profiles give (as DevTools shows them) to
// JavaScript functions that have none.
const AnonymousFunction = v8.AnonymousFunction

// The packages Frame.Package gives JavaScript frames that are not in an npm
// package (see v8.ScriptPackage), for --by package and the HTML report's
// treemap.
const (
	// JSNodePackage is the package of Node.js's built-in modules (node:fs,
	// node:internal/...).
	JSNodePackage = v8.NodePackage
	// JSBunPackage is the package of Bun's built-in modules (bun:...).
	JSBunPackage = v8.BunPackage
	// JSAppPackage is the package of the application's own scripts: those
	// outside node_modules.
	JSAppPackage = v8.AppPackage
)

// FunctionName returns the function's name, or the frame's address form when
// it has none, so that unsymbolized frames still group by something stable.
// A JavaScript function is named with its script and the line it starts
// on (V8 gives a function's own line, not the line running), since scripts
// do not qualify names as Go's packages do: a set in bot.js is not
// node:diagnostics_channel's set. So "set bot.js:12", "(anonymous)
// server.js:40", "get node:internal/url:812" (see v8.FunctionLabel).
// Anonymous functions whose file is not a script keep the file too.
func (f Frame) FunctionName() string {
	if f.Symbolized() {
		if f.File == "" {
			return f.Function
		}
		if _, js := v8.ScriptPackage(f.File); js {
			return v8.FunctionLabel(f.Function, f.File, f.Line)
		}
		if f.Function == AnonymousFunction {
			return f.String()
		}
		return f.Function
	}
	return f.String()
}

// Package returns the package (or namespace) the frame's function belongs to:
// "github.com/x/y" for "github.com/x/y.(*T).M", "main" for "main.main". An
// unsymbolized frame belongs to its module. A JavaScript frame belongs to
// its npm package, to Node.js's or Bun's built-in modules, or to the
// application (see JSAppPackage).
func (f Frame) Package() string {
	if !f.Symbolized() {
		if f.Module != "" {
			return baseName(f.Module)
		}
		return "(unknown)"
	}
	if pkg, ok := v8.ScriptPackage(f.File); ok {
		return pkg
	}
	return packageOf(f.Function)
}

// packageOf extracts the import path from a Go symbol name. Type parameters
// ("F[go.shape.int]") may hold dots and slashes, so they are cut first; dots
// in the last path element are escaped as %2e in symbols ("gopkg.in/yaml%2ev3")
// and unescaped here. Names that are not Go symbols (C++ "a::b::c") fall back
// to their namespace.
func packageOf(name string) string {
	if i := strings.IndexByte(name, '['); i > 0 {
		name = name[:i]
	}
	if i := strings.LastIndex(name, "::"); i > 0 && !strings.Contains(name[:i], "/") {
		if j := strings.IndexByte(name, '('); j < 0 || j > i {
			return name[:i]
		}
	}
	slash := strings.LastIndexByte(name, '/')
	if dot := strings.IndexByte(name[slash+1:], '.'); dot >= 0 {
		name = name[:slash+1+dot]
	}
	return strings.ReplaceAll(name, "%2e", ".")
}

// baseName returns the last element of a path written with / or with \
// (a Windows module); an escape printable wrote (\x07, \u202e) is not a
// separator (see v8.BaseName, which scripts' labels use too).
func baseName(path string) string { return v8.BaseName(path) }

// Stack is one distinct call stack and its values.
type Stack struct {
	// Frames indexes Profile.Frames, innermost frame first.
	Frames []int32
	// Values holds one value per Profile.SampleTypes entry.
	Values []int64
}

// Objects are the objects a stack of a heap snapshot counts. They are kept
// beside the stacks (Profile.Objects), not in them: a profile of a million
// stacks that has none would otherwise carry two empty slices per stack.
type Objects struct {
	// IDs lists, in increasing order, the ids of the objects; a
	// comparison uses them to tell new objects from deleted ones, as
	// DevTools does.
	IDs []uint64
	// Sizes gives the shallow size of each object of IDs, in the same
	// order, for the sizes of new and deleted objects (DevTools' Alloc.
	// Size and Freed Size).
	Sizes []uint32
}

// Symbolized reports whether any frame of the profile has a function name.
// Profiles written by Go's debug=1 text format carry addresses only.
func (p *Profile) Symbolized() bool {
	for _, f := range p.Frames {
		if f.Symbolized() {
			return true
		}
	}
	return len(p.Frames) == 0
}

// SampleIndex returns the index of the sample type named name, with pprof's
// rules: "" picks the default sample type, or the last one; a number is an
// index; "inuse_space" also matches a type called "space".
func (p *Profile) SampleIndex(name string) (int, error) {
	return SampleIndex(p.SampleTypes, p.DefaultSampleType, name)
}

// SampleIndex resolves a sample type name against types, with the rules of
// Profile.SampleIndex. It is exported so that a comparison can resolve a name
// against the types two profiles share.
func SampleIndex(types []ValueType, defaultType, name string) (int, error) {
	if len(types) == 0 {
		return 0, fmt.Errorf("profile has no sample types")
	}
	if name == "" {
		for i, t := range types {
			if defaultType != "" && t.Type == defaultType {
				return i, nil
			}
		}
		return len(types) - 1, nil
	}
	if i, err := strconv.Atoi(name); err == nil {
		if i < 0 || i >= len(types) {
			return 0, fmt.Errorf("sample index %d is outside the range [0..%d]", i, len(types)-1)
		}
		return i, nil
	}
	noInuse := strings.TrimPrefix(name, "inuse_")
	for i, t := range types {
		if t.Type == name || t.Type == noInuse {
			return i, nil
		}
	}
	return 0, fmt.Errorf("sample index %q must be one of: %s", name, typeNames(types))
}

func typeNames(types []ValueType) string {
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = t.Type
	}
	return strings.Join(names, ", ")
}

// IsMemory reports whether the profile measures memory: at least one of its
// sample types is counted in bytes. CPU, goroutine, mutex and block profiles
// are not.
func (p *Profile) IsMemory() bool {
	for _, t := range p.SampleTypes {
		if t.IsBytes() {
			return true
		}
	}
	return false
}
