package report

import (
	"html"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/heapdiff/heapdiff/diff"
)

// policyPages renders every kind of HTML page heapdiff writes: the
// comparison of Go profiles, the comparison of heap snapshots by class, and
// the trend page.
func policyPages(t *testing.T) map[string][]byte {
	t.Helper()
	a, b := loadPair(t, "../testdata/leaky/heap-01.pb.gz", "../testdata/leaky/heap-12.pb.gz")
	sa, sb := loadPair(t, "../testdata/node/leaky-before.heapsnapshot.gz", "../testdata/node/leaky-after.heapsnapshot.gz")
	return map[string][]byte{
		"comparison": renderHTML(t, a, b, diff.Options{}),
		"snapshot":   renderHTML(t, sa, sb, diff.Options{}),
		"trend":      renderTrendHTML(t, leakyTrend(t, diff.TrendOptions{Options: diff.Options{Top: 6}})),
	}
}

var (
	policyMeta = regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`)
	// Every script and style element, with its attributes and text.
	inlineElement = regexp.MustCompile(`(?s)<(script|style)([^>]*)>(.*?)</(?:script|style)>`)
)

// parsePolicy returns a policy's directives by name.
func parsePolicy(policy string) map[string][]string {
	out := map[string][]string{}
	for _, d := range strings.Split(policy, ";") {
		f := strings.Fields(d)
		if len(f) > 0 {
			out[f[0]] = f[1:]
		}
	}
	return out
}

// TestPagesCarryAStrictPolicy checks every kind of page: its
// Content-Security-Policy comes before any script or style, loads nothing
// (default-src 'none'), allows no inline code by keyword ('unsafe-inline',
// 'unsafe-eval'), and allows exactly the scripts and styles the page holds,
// by their hashes, no more; and the page has no style or event-handler
// attributes, which hashes cannot allow.
func TestPagesCarryAStrictPolicy(t *testing.T) {
	for kind, page := range policyPages(t) {
		t.Run(kind, func(t *testing.T) {
			s := string(page)
			m := policyMeta.FindStringSubmatchIndex(s)
			if m == nil {
				t.Fatal("the page has no Content-Security-Policy meta element")
			}
			if first := strings.IndexAny(s, "<"); strings.Index(s, "<script") < m[0] || strings.Index(s, "<style") < m[0] || first < 0 {
				t.Errorf("the policy comes after a script or style: it would not cover them")
			}
			policy := html.UnescapeString(s[m[2]:m[3]])
			d := parsePolicy(policy)
			if !slices.Equal(d["default-src"], []string{"'none'"}) || !slices.Equal(d["base-uri"], []string{"'none'"}) || !slices.Equal(d["form-action"], []string{"'none'"}) {
				t.Errorf("policy %q: want default-src, base-uri and form-action 'none'", policy)
			}
			for _, name := range []string{"script-src", "style-src"} {
				for _, src := range d[name] {
					if !strings.HasPrefix(src, "'sha256-") {
						t.Errorf("%s allows %s: only hashes may allow inline code", name, src)
					}
				}
			}
			var scripts, styles []string
			for _, e := range inlineElement.FindAllStringSubmatch(s, -1) {
				tag, attrs, text := e[1], e[2], e[3]
				switch {
				case tag == "style":
					styles = append(styles, cspHash(text))
				case strings.Contains(attrs, `type="application/json"`):
					// Data, not run: no policy applies to it.
				default:
					scripts = append(scripts, cspHash(text))
				}
			}
			slices.Sort(scripts)
			slices.Sort(styles)
			allowedScripts, allowedStyles := slices.Sorted(slices.Values(d["script-src"])), slices.Sorted(slices.Values(d["style-src"]))
			if !slices.Equal(slices.Compact(scripts), allowedScripts) {
				t.Errorf("the page's %d scripts hash to %v; the policy allows %v", len(scripts), scripts, allowedScripts)
			}
			if !slices.Equal(slices.Compact(styles), allowedStyles) {
				t.Errorf("the page's %d styles hash to %v; the policy allows %v", len(styles), styles, allowedStyles)
			}
			markup := inlineElement.ReplaceAllString(s, "")
			if loc := regexp.MustCompile(`(?i)\s(style|on[a-z]+)=`).FindStringIndex(markup); loc != nil {
				t.Errorf("the page has an attribute the policy refuses: %q", markup[max(0, loc[0]-40):loc[1]+20])
			}
		})
	}
}

// TestPolicyRefusesWhatTheBrowserWouldHashDifferently checks that a script
// whose bytes the HTML parser rewrites (CR, NUL) is refused when the page is
// made, rather than shipped with a hash the browser would not match.
func TestPolicyRefusesWhatTheBrowserWouldHashDifferently(t *testing.T) {
	var p pagePolicy
	for _, js := range []string{"a();\r\nb();", "a('\x00');"} {
		if err := p.script("test", js); err == nil {
			t.Errorf("script %q was allowed", js)
		}
	}
	if err := p.script("test", "a(); </script><script>b();"); err == nil {
		t.Error("a script that ends its element was allowed")
	}
	if err := p.style("test", "a { } </style><script>b();</script>"); err == nil {
		t.Error("a style that ends its element was allowed")
	}
	if err := p.script("test", "a();\nb();"); err != nil || len(p.scripts) != 1 {
		t.Errorf("a plain script: %v, %d hashes", err, len(p.scripts))
	}
}

// TestPolicyBlocksInjectedScript opens, in Chromium, a comparison page into
// which markup was injected: an inline script and an event handler that the
// policy's hashes do not cover. The page still draws (its own scripts are
// allowed), the injected code does not run, and the browser reports the
// violations. The same page without its policy runs the injected code, so
// the test can tell a blocked script from one that never ran.
func TestPolicyBlocksInjectedScript(t *testing.T) {
	a, b := loadPair(t, "../testdata/leaky/heap-01.pb.gz", "../testdata/leaky/heap-12.pb.gz")
	page := string(renderHTML(t, a, b, diff.Options{}))
	const injected = `<script>window.__injected = 1;</script><img src="data:," onerror="window.__handler = 1" alt="">`
	if !strings.Contains(page, "<main>") {
		t.Fatal("no <main> to inject before")
	}
	hostile := strings.Replace(page, "<main>", injected+"<main>", 1)
	browser := startBrowser(t)

	p := openHTML(t, browser, "injected.html", []byte(hostile))
	p.waitFor(`document.readyState === 'complete'`)
	for _, flag := range []string{"__injected", "__handler"} {
		if v := eval[any](p, `window.`+flag+` === undefined ? null : window.`+flag); v != nil {
			t.Errorf("the injected code ran despite the policy: window.%s = %v", flag, v)
		}
	}
	for id, n := range p.inkedPixels() {
		if n < 500 {
			t.Errorf("with the policy, chart %s has %d drawn pixels", id, n)
		}
	}
	findings := strings.Join(p.findings(), "\n")
	if strings.Count(findings, "Content Security Policy") < 2 || !strings.Contains(findings, "script-src") {
		t.Errorf("the browser did not report the two violations; findings:\n%s", findings)
	}

	// The control: without the policy the same injection runs.
	open := openHTML(t, browser, "injected-no-policy.html", []byte(policyMeta.ReplaceAllString(hostile, "")))
	open.waitFor(`window.__handler === 1`)
	if v := eval[any](open, `window.__injected === undefined ? null : window.__injected`); v != float64(1) {
		t.Errorf("without the policy the injected script did not run either (window.__injected = %v): the test proves nothing", v)
	}
}
