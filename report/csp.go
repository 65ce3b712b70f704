package report

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"regexp"
	"slices"
	"strings"
)

// pagePolicy collects what one HTML page may run and apply, and writes it as
// the page's Content-Security-Policy: nothing may load or run (default-src
// 'none') except the page's own inline scripts and styles, each allowed by
// the SHA-256 hash of its exact text. The page stays self-contained and
// works offline, and markup that ever slipped into it from a profile could
// run no script and load nothing: defence in depth behind the escaping.
type pagePolicy struct {
	scripts, styles []string // 'sha256-…' sources, in the order added
}

// The ends of the elements inline text sits in, and <!--, which would change
// how a script element is parsed.
var (
	scriptEnd = regexp.MustCompile(`(?i)</script|<!--`)
	styleEnd  = regexp.MustCompile(`(?i)</style`)
)

// script allows an inline script whose text is js, after checking that it
// can be inlined as is.
func (p *pagePolicy) script(name, js string) error {
	if err := inlineable(js); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	p.scripts = addHash(p.scripts, js)
	return nil
}

// style allows an inline style element whose text is css.
func (p *pagePolicy) style(name, css string) error {
	if loc := styleEnd.FindStringIndex(css); loc != nil {
		return fmt.Errorf("%s: contains %q at byte %d and cannot be inlined in a style element", name, css[loc[0]:loc[1]], loc[0])
	}
	if err := hashable(css); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	p.styles = addHash(p.styles, css)
	return nil
}

// inlineable checks that text can sit inside a <script> element, and that
// the browser will hash the same bytes we do.
func inlineable(js string) error {
	if loc := scriptEnd.FindStringIndex(js); loc != nil {
		return fmt.Errorf("contains %q at byte %d and cannot be inlined in a script element", js[loc[0]:loc[1]], loc[0])
	}
	return hashable(js)
}

// hashable refuses text the HTML parser would change before the browser
// hashes it: it turns CR and CR LF into LF, and NUL into U+FFFD.
func hashable(text string) error {
	if i := strings.IndexAny(text, "\r\x00"); i >= 0 {
		return fmt.Errorf("contains %q at byte %d, which the HTML parser rewrites, so its hash would not match", text[i], i)
	}
	return nil
}

func addHash(list []string, text string) []string {
	h := cspHash(text)
	if slices.Contains(list, h) {
		return list
	}
	return append(list, h)
}

// cspHash returns the source expression that allows an inline script or
// style whose text is text: 'sha256-' and the base64 of its SHA-256.
func cspHash(text string) string {
	sum := sha256.Sum256([]byte(text))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// String returns the policy. base-uri and form-action do not fall back to
// default-src, so they are closed on their own; frame-ancestors and sandbox
// have no effect in a meta element, and are left out.
func (p *pagePolicy) String() string {
	return "default-src 'none'; script-src " + strings.Join(p.scripts, " ") +
		"; style-src " + strings.Join(p.styles, " ") + "; base-uri 'none'; form-action 'none'"
}

// meta returns the policy as the meta element that must come before every
// script and style of the page. The policy holds no character that needs
// escaping in an attribute value.
func (p *pagePolicy) meta() template.HTML {
	return template.HTML(`<meta http-equiv="Content-Security-Policy" content="` + p.String() + `">`)
}

// chartStyle is the size go-echarts writes on a chart's element as a style
// attribute, which a policy without 'unsafe-inline' blocks.
var chartStyle = regexp.MustCompile(` id="([A-Za-z_][A-Za-z0-9_]*)" style="([^"<>]*)"`)

// splitChart takes apart a go-echarts snippet (the chart's element, then
// one script element) for the policy: the snippet without the element's
// style attribute, the CSS rule that sizes it instead, and the script's
// text.
func splitChart(id, snippet string) (html, css, script string, err error) {
	open := strings.Index(snippet, "<script")
	end := strings.LastIndex(snippet, "</script>")
	if open < 0 || end < open || strings.TrimSpace(snippet[end+len("</script>"):]) != "" {
		return "", "", "", fmt.Errorf("chart %s: not an element and one script", id)
	}
	tagEnd := strings.IndexByte(snippet[open:], '>')
	if tagEnd < 0 {
		return "", "", "", fmt.Errorf("chart %s: unterminated script tag", id)
	}
	element := snippet[:open]
	script = snippet[open+tagEnd+1 : end]
	if m := chartStyle.FindStringSubmatch(element); m != nil && m[1] == id {
		css = "#" + id + " { " + m[2] + " }\n"
		element = strings.Replace(element, m[0], ` id="`+id+`"`, 1)
	}
	if strings.Contains(element, "style=") || strings.Count(snippet, "<script") != 1 {
		return "", "", "", fmt.Errorf("chart %s: an inline style or script the page's policy cannot allow", id)
	}
	return element + snippet[open:], css, script, nil
}
