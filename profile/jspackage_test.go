package profile

import "testing"

func TestJSPackage(t *testing.T) {
	for _, tc := range []struct {
		frame Frame
		want  string
	}{
		{Frame{Function: "leak", File: "/srv/app/leaky.js", Line: 41}, JSAppPackage},
		{Frame{Function: "(anonymous)", File: "file:///srv/app/server.mjs", Line: 12}, JSAppPackage},
		{Frame{Function: "handler", File: `C:\app\src\routes.ts`}, JSAppPackage},
		{Frame{Function: "Module._load", File: "node:internal/modules/cjs/loader"}, JSNodePackage},
		{Frame{Function: "readFileSync", File: "node:fs"}, JSNodePackage},
		{Frame{Function: "spawn", File: "bun:main"}, JSBunPackage},
		{Frame{Function: "handle", File: "/srv/app/node_modules/express/lib/router/layer.js"}, "express"},
		{Frame{Function: "wrap", File: "/srv/app/node_modules/@datadog/pprof/out/src/heap-profiler.js"}, "@datadog/pprof"},
		{Frame{Function: "f", File: "file:///srv/app/node_modules/.pnpm/lodash@4.17.21/node_modules/lodash/lodash.js?v=1"}, "lodash"},
		{Frame{Function: "g", File: "node_modules/left-pad/index.js"}, "left-pad"},
		{Frame{Function: "h", File: "/srv/app/node_modules/loose.js"}, JSAppPackage},
		// Not JavaScript: Go and C frames, and V8 built-ins, which have no
		// script, keep the symbol's package.
		{Frame{Function: "github.com/x/node_modules.F", File: "/src/node_modules/f.go"}, "github.com/x/node_modules"},
		{Frame{Function: "main.main", File: "/src/main.go"}, "main"},
		{Frame{Function: "set"}, "set"},
	} {
		if got := tc.frame.Package(); got != tc.want {
			t.Errorf("%+v: package %q, want %q", tc.frame, got, tc.want)
		}
	}
}

// TestFunctionName: a JavaScript function is named with its script and the
// line it starts on, so that functions of one name in different scripts are
// different functions under --by func; other languages' frames keep the
// names they had.
func TestFunctionName(t *testing.T) {
	for _, tc := range []struct {
		frame Frame
		want  string
	}{
		{Frame{Function: AnonymousFunction, File: "/srv/app/server.js", Line: 12}, "(anonymous) server.js:12"},
		{Frame{Function: AnonymousFunction, File: "node:internal/streams/readable", Line: 1}, "(anonymous) node:internal/streams/readable:1"},
		{Frame{Function: AnonymousFunction}, "(anonymous)"},
		// The case of the issue: bot.js's set is not diagnostics_channel's.
		{Frame{Function: "set", File: "/srv/app/bot.js", Line: 7}, "set bot.js:7"},
		{Frame{Function: "set", File: "node:diagnostics_channel", Line: 120}, "set node:diagnostics_channel:120"},
		{Frame{Function: "leak", File: "file:///srv/app/leaky.mjs?v=2", Line: 41}, "leak leaky.mjs:41"},
		{Frame{Function: "handle", File: "/srv/app/node_modules/express/lib/router/layer.js", Line: 86}, "handle layer.js:86"},
		{Frame{Function: "handler", File: `C:\app\src\routes.ts`}, "handler routes.ts"},
		// A script V8 names without an extension (eval, the REPL) is not
		// known to be JavaScript: a named function keeps its name alone, an
		// anonymous one its file.
		{Frame{Function: "f", File: "evalmachine.<anonymous>", Line: 1}, "f"},
		{Frame{Function: AnonymousFunction, File: "[eval]", Line: 1}, "(anonymous) [eval]:1"},
		// Go, C and unsymbolized frames are as they were.
		{Frame{Function: "main.main", File: "/src/main.go", Line: 3}, "main.main"},
		{Frame{Function: "github.com/x/y.(*T).M", File: "/src/y/t.go", Line: 30}, "github.com/x/y.(*T).M"},
		{Frame{Function: "tcmalloc::Alloc", File: "/src/alloc.cc", Line: 9}, "tcmalloc::Alloc"},
		{Frame{Address: 0x4a2f10, Module: "/usr/bin/server"}, "server+0x4a2f10"},
		{Frame{Address: 0x4a2f10}, "0x4a2f10"},
	} {
		if got := tc.frame.FunctionName(); got != tc.want {
			t.Errorf("%+v: function name %q, want %q", tc.frame, got, tc.want)
		}
	}
}
