package diff

import (
	"fmt"
	"strings"

	"github.com/heapdiff/heapdiff/profile"
)

// Grouping says how stacks are grouped into rows.
type Grouping int

// The groupings Compare supports; see the package documentation.
const (
	BySite Grouping = iota
	ByFunc
	ByLine
	ByStack
	ByPackage
	// ByClass groups a heap snapshot's objects by class, as DevTools'
	// Summary and Comparison views do. Class views of snapshots hold one
	// single-frame stack per class, so rows are their leaf frames; the
	// CLI chooses it for them.
	ByClass
)

var groupingNames = []string{"site", "func", "line", "stack", "package", "class"}

// String returns the grouping's flag name, such as "site".
func (g Grouping) String() string {
	if int(g) < len(groupingNames) {
		return groupingNames[g]
	}
	return fmt.Sprintf("Grouping(%d)", int(g))
}

// ParseGrouping reads a grouping's name as String writes it.
func ParseGrouping(s string) (Grouping, error) {
	for i, n := range groupingNames {
		if s == n {
			return Grouping(i), nil
		}
	}
	return 0, fmt.Errorf("unknown grouping %q (want one of %s)", s, strings.Join(groupingNames, ", "))
}

// GroupingNames lists the valid grouping names, for help texts.
func GroupingNames() []string { return append([]string(nil), groupingNames...) }

// isGoStd reports whether a frame is Go code of the runtime or standard
// library: a .go or .s file of a package whose import path starts with one of
// the standard library's top-level elements (goStdRoots: "runtime",
// "bytes", "internal", "vendor", ...). A module's own path need not hold a
// dot ("go mod init myapp"), so a dot is no test.
func isGoStd(f profile.Frame) bool {
	if !f.Symbolized() || !isGoFile(f.File) {
		return false
	}
	first, _, _ := strings.Cut(f.Package(), "/")
	return goStdRoots[first]
}

// notOwnCode reports whether the site rule skips a frame: the Go runtime and
// standard library, or a JavaScript engine's and runtime's own code.
func notOwnCode(f profile.Frame) bool { return isGoStd(f) || isScriptStd(f) }

// isScriptStd reports whether a frame is a JavaScript engine's or runtime's
// own code rather than the program's: a V8 built-in (a named frame with no
// script, such as Map's "set" or Array's "push") or a Node.js module
// ("node:internal/..."). It plays for Node what isGoStd plays for Go.
func isScriptStd(f profile.Frame) bool {
	if !f.Symbolized() || isGoFile(f.File) {
		return false
	}
	return f.File == "" || strings.HasPrefix(f.File, "node:")
}

// isGoRuntime reports whether a frame is in the Go runtime proper.
func isGoRuntime(f profile.Frame) bool {
	if !isGoFile(f.File) {
		return false
	}
	pkg := f.Package()
	return pkg == "runtime" || strings.HasPrefix(pkg, "internal/runtime/") || strings.HasPrefix(pkg, "runtime/internal/")
}

// What the site rule asks of a frame (see profileFrames.site), found
// when first needed: most frames of a profile are never a site's
// candidates, and a frame's package takes string work to find.
const (
	kindKnown   uint8 = 1 << iota
	kindNotOwn        // notOwnCode
	kindRuntime       // isGoRuntime
)

// frameKind returns what notOwnCode and isGoRuntime say of f, finding its
// package once for both.
func frameKind(f profile.Frame) uint8 {
	k := kindKnown
	if !isGoFile(f.File) {
		if isScriptStd(f) {
			k |= kindNotOwn
		}
		return k
	}
	pkg := f.Package()
	if first, _, _ := strings.Cut(pkg, "/"); f.Symbolized() && goStdRoots[first] {
		k |= kindNotOwn
	}
	if pkg == "runtime" || strings.HasPrefix(pkg, "internal/runtime/") || strings.HasPrefix(pkg, "runtime/internal/") {
		k |= kindRuntime
	}
	return k
}

// outsideGo reports, for a frame of a Go file, what most frames of a
// service show at a glance: that its function's import path starts with a
// domain ("github.com/..."), so it is neither the standard library, whose
// paths start with no dot, nor the runtime. It costs a few byte scans of the
// function's first path element, where finding its package (Frame.Package)
// costs scans of the whole name and of the file's, and a table's lookup by
// frame costs hashing both: the site rule asks it of every frame it walks,
// in every profile. It returns false, and leaves the answer to the package,
// wherever the name's first element could be read otherwise: a type
// parameter or a C++ namespace in it, an escape, or a file name that is a
// URL, which ScriptPackage cuts at its query.
func outsideGo(f profile.Frame) bool {
	name := f.Function
	i := strings.IndexByte(name, '/')
	if i <= 0 || strings.ContainsAny(f.File, "?#") {
		return false
	}
	first := name[:i]
	return strings.IndexByte(first, '.') > 0 && !strings.ContainsAny(first, "[:%")
}

// site picks the allocation site of a stack of pf's frames (leaf first):
// see the package documentation for the rule.
func (pf *profileFrames) site(frames []int32) int32 {
	for _, f := range frames {
		if pf.kindOf(f)&kindNotOwn == 0 {
			return f
		}
	}
	for _, f := range frames {
		if pf.kindOf(f)&kindRuntime == 0 {
			return f
		}
	}
	return frames[0]
}

// kindOf returns frame f's kind (frameKind), computing it once, and once
// for all the profiles that share pf.kinds.
func (pf *profileFrames) kindOf(f int32) uint8 {
	k := pf.kind[f]
	if k == 0 {
		fr := pf.frames[f]
		// Most frames are a service's own, told at a glance (outsideGo)
		// without hashing the frame to look it up, nor finding its package.
		if isGoFile(fr.File) && outsideGo(fr) {
			k = kindKnown
		} else if k = pf.kinds[fr]; k == 0 {
			k = frameKind(fr)
			if pf.kinds != nil {
				pf.kinds[fr] = k
			}
		}
		pf.kind[f] = k
	}
	return k
}

// isGoFile reports whether a source file is Go or Go assembly.
func isGoFile(name string) bool {
	return strings.HasSuffix(name, ".go") || strings.HasSuffix(name, ".s")
}
