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

// TestAnonymousFunctionName: V8's anonymous functions are told apart by
// where they are defined; named functions and other languages' frames keep
// their names.
func TestAnonymousFunctionName(t *testing.T) {
	for _, tc := range []struct {
		frame Frame
		want  string
	}{
		{Frame{Function: AnonymousFunction, File: "/srv/app/server.js", Line: 12}, "(anonymous) server.js:12"},
		{Frame{Function: AnonymousFunction, File: "node:internal/streams/readable", Line: 1}, "(anonymous) readable:1"},
		{Frame{Function: AnonymousFunction}, "(anonymous)"},
		{Frame{Function: "leak", File: "/srv/app/leaky.js", Line: 41}, "leak"},
		{Frame{Function: "main.main", File: "/src/main.go", Line: 3}, "main.main"},
	} {
		if got := tc.frame.FunctionName(); got != tc.want {
			t.Errorf("%+v: function name %q, want %q", tc.frame, got, tc.want)
		}
	}
}
