package profile

import "testing"

// A frame's short form cuts its file to the base name after the file was
// escaped: the backslash of an escape is not a Windows separator, so
// "a\x07b.go" is not shortened to "x07b.go". Windows paths still are.
func TestBaseNameKeepsEscapes(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"/src/a\x07b.go", `f a\x07b.go:3`},
		{"/src/\x1b[31mred.go", `f \x1b[31mred.go:3`},
		{"/src/evil\u202egnp.go", `f evil\u202egnp.go:3`},
		{"dir\x07/x.go", `f x.go:3`},
		{`C:\src\app\main.go`, `f main.go:3`},
		{`C:\src\xyz.go`, `f xyz.go:3`}, // \xy is no escape
		{`C:\src\ab` + "\x07" + `.go`, `f ab\x07.go:3`},
		{"main.go", `f main.go:3`},
	} {
		p := &Profile{Frames: []Frame{{Function: "f", File: tc.file, Line: 3}}}
		p.makePrintable()
		if got := p.Frames[0].String(); got != tc.want {
			t.Errorf("frame in %q: %q, want %q", tc.file, got, tc.want)
		}
	}
	m := &Profile{Frames: []Frame{{Module: `C:\Windows\nt` + "\x1b" + `dll.dll`, Address: 0x10}}}
	m.makePrintable()
	if got, want := m.Frames[0].String(), `nt\x1bdll.dll+0x10`; got != want {
		t.Errorf("module frame %q, want %q", got, want)
	}
}
