package profile

import (
	"path"
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
