package profile

import (
	"path"
	"strconv"
	"strings"
)

// JavaScript frames (V8 heap snapshots with allocation traces, sampling
// heap profiles, @datadog/pprof) name a script, not a package: jsPackage
// derives one from it, so that --by package and the HTML report's treemap
// group Node.js code by npm package, Node's own modules, and the
// application.
const (
	// JSNodePackage is the package of Node.js's built-in modules (node:fs,
	// node:internal/...).
	JSNodePackage = "(node)"
	// JSBunPackage is the package of Bun's built-in modules (bun:...).
	JSBunPackage = "(bun)"
	// JSAppPackage is the package of the application's own scripts: those
	// outside node_modules.
	JSAppPackage = "(app)"
)

// jsExtensions are the extensions of scripts Node.js and Bun run.
var jsExtensions = map[string]bool{
	".js": true, ".mjs": true, ".cjs": true, ".jsx": true,
	".ts": true, ".mts": true, ".cts": true, ".tsx": true,
}

// jsPackage returns the package of a frame whose file is a JavaScript
// script's URL or path: the npm package for a script under node_modules
// ("express", "@scope/name"), JSNodePackage or JSBunPackage for built-in
// modules, JSAppPackage for other scripts. ok is false when file is not a
// script's (a Go or C file, or none: V8's built-in functions have no URL).
func jsPackage(file string) (pkg string, ok bool) {
	switch {
	case strings.HasPrefix(file, "node:"):
		return JSNodePackage, true
	case strings.HasPrefix(file, "bun:"):
		return JSBunPackage, true
	}
	file = strings.ReplaceAll(file, `\`, "/")
	if i := strings.IndexAny(file, "?#"); i >= 0 && strings.Contains(file, "://") {
		file = file[:i] // a URL's query or fragment
	}
	if !jsExtensions[strings.ToLower(path.Ext(file))] {
		return "", false
	}
	const dir = "node_modules/"
	i := strings.LastIndex(file, "/"+dir)
	if i < 0 {
		if !strings.HasPrefix(file, dir) {
			return JSAppPackage, true
		}
		i = -1
	}
	rest := strings.Split(file[i+1+len(dir):], "/")
	switch {
	case len(rest) < 2 || rest[0] == "":
		return JSAppPackage, true // a script directly in node_modules
	case strings.HasPrefix(rest[0], "@") && len(rest) > 2:
		return rest[0] + "/" + rest[1], true
	}
	return rest[0], true
}

// jsFunctionName names a JavaScript function by its name, its script and
// the line it starts on: "set bot.js:12". A built-in module's script keeps
// its whole name ("node:internal/url"), since its base name alone ("url")
// reads as an application's file. Two functions of one name at one line
// of two scripts of one base name in different directories (or at two
// columns of one line, as in minified code: frames keep no column) share
// this name.
func (f Frame) jsFunctionName() string {
	s := f.Function + " " + scriptLabel(f.File)
	if f.Line != 0 {
		s += ":" + strconv.FormatInt(f.Line, 10)
	}
	return s
}
