package v8

import (
	"path"
	"strconv"
	"strings"
)

// JavaScript frames (heap snapshots with allocation traces, sampling heap
// profiles, and the pprof profiles @datadog/pprof writes) name a script, not
// a package: ScriptPackage derives one from it, so that grouping by package
// puts Node.js code in its npm package, Node's own modules, or the
// application.
const (
	// NodePackage is the package of Node.js's built-in modules (node:fs,
	// node:internal/...).
	NodePackage = "(node)"
	// BunPackage is the package of Bun's built-in modules (bun:...).
	BunPackage = "(bun)"
	// AppPackage is the package of the application's own scripts: those
	// outside node_modules.
	AppPackage = "(app)"
)

// AnonymousFunction is the name V8's profiles give (as DevTools shows them)
// to JavaScript functions that have none.
const AnonymousFunction = "(anonymous)"

// jsExtensions are the extensions of scripts Node.js and Bun run.
var jsExtensions = map[string]bool{
	".js": true, ".mjs": true, ".cjs": true, ".jsx": true,
	".ts": true, ".mts": true, ".cts": true, ".tsx": true,
}

// ScriptPackage returns the package of a frame whose file is a JavaScript
// script's URL or path: the npm package for a script under node_modules
// ("express", "@scope/name"), NodePackage or BunPackage for built-in
// modules, AppPackage for other scripts. ok is false when file is not a
// script's (a Go or C file, or none: V8's built-in functions have no URL).
func ScriptPackage(file string) (pkg string, ok bool) {
	switch {
	case strings.HasPrefix(file, "node:"):
		return NodePackage, true
	case strings.HasPrefix(file, "bun:"):
		return BunPackage, true
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
			return AppPackage, true
		}
		i = -1
	}
	rest := strings.Split(file[i+1+len(dir):], "/")
	switch {
	case len(rest) < 2 || rest[0] == "":
		return AppPackage, true // a script directly in node_modules
	case strings.HasPrefix(rest[0], "@") && len(rest) > 2:
		return rest[0] + "/" + rest[1], true
	}
	return rest[0], true
}

// FunctionLabel names a JavaScript function by its name, its script and
// the line it starts on (1-based, 0 when unknown): "set bot.js:12". A
// built-in module's script keeps its whole name ("node:internal/url"),
// since its base name alone ("url") reads as an application's file. Two
// functions of one name at one line of two scripts of one base name in
// different directories (or at two columns of one line, as in minified
// code: frames keep no column) share this label.
func FunctionLabel(name, script string, line int64) string {
	s := name + " " + ScriptLabel(script)
	if line != 0 {
		s += ":" + strconv.FormatInt(line, 10)
	}
	return s
}

// ScriptLabel shortens a script's URL or path for a label: a built-in
// module keeps its whole name ("node:internal/streams/readable"), a URL
// loses its query and fragment, and a path its directories.
func ScriptLabel(url string) string {
	if strings.HasPrefix(url, "node:") || strings.HasPrefix(url, "bun:") {
		return url
	}
	if strings.Contains(url, "://") {
		if i := strings.IndexAny(url, "?#"); i >= 0 {
			url = url[:i]
		}
	}
	if base := BaseName(url); base != "" {
		return base
	}
	return url
}

// BaseName returns the last element of a path written with / or with \
// (Windows). A backslash that starts one of the escapes package profile
// writes for unprintable bytes and runes (\x07, \u202e) belongs to the name
// and is not a separator, so a script's label is the same before and after
// its path is escaped for printing.
func BaseName(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' || path[i] == '\\' && !startsEscape(path[i:]) {
			return path[i+1:]
		}
	}
	return path
}

// startsEscape reports whether s starts with \xNN or \uNNNN, in lower-case
// hex.
func startsEscape(s string) bool {
	hex := func(t string, n int) bool {
		if len(t) < n {
			return false
		}
		for _, c := range []byte(t[:n]) {
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
		return true
	}
	return len(s) >= 2 && s[0] == '\\' && (s[1] == 'x' && hex(s[2:], 2) || s[1] == 'u' && hex(s[2:], 4))
}
