package profile

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// printable returns s with what could disturb a terminal or a line-oriented
// report escaped: invalid UTF-8 bytes as \xNN, control characters as \n,
// \t, \xNN or \uNNNN, and the bidirectional-override characters that can
// make text display in another order than it reads ("Trojan Source") as
// \uNNNN. A string with none of them, which is every name a real producer
// writes, is returned as is, without allocating.
func printable(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			if !isPrintable(s[i:]) {
				return escape(s)
			}
			break
		}
	}
	return s
}

// isPrintable reports whether s has nothing printable would escape.
func isPrintable(s string) bool {
	for _, r := range s {
		if needsEscape(r) {
			return false
		}
	}
	return utf8.ValidString(s)
}

func needsEscape(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) ||
		unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029'
}

func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80 && needsEscape(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case needsEscape(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// makePrintable escapes, with printable, every string of a loaded profile:
// they come from the file, which may have been crafted, and are printed to
// terminals, Markdown and HTML. Names are the file's path as given, which
// may itself not be valid UTF-8.
func (p *Profile) makePrintable() {
	p.Name = printable(p.Name)
	p.DefaultSampleType = printable(p.DefaultSampleType)
	p.PeriodType = ValueType{printable(p.PeriodType.Type), printable(p.PeriodType.Unit)}
	for i, t := range p.SampleTypes {
		p.SampleTypes[i] = ValueType{printable(t.Type), printable(t.Unit)}
	}
	for i, c := range p.Comments {
		p.Comments[i] = printable(c)
	}
	p.Main = Binary{printable(p.Main.File), printable(p.Main.BuildID)}
	for i := range p.Frames {
		f := &p.Frames[i]
		f.Function, f.File, f.Module = printable(f.Function), printable(f.File), printable(f.Module)
	}
	for i, k := range p.ClassKeys {
		p.ClassKeys[i] = printable(k)
	}
}

// Printable returns s with control characters, invalid UTF-8 and
// bidirectional overrides escaped, as the loader escapes every name it reads:
// for file names and other strings from outside that a command prints.
func Printable(s string) string { return printable(s) }
