package main

import (
	"regexp"
	"strings"
	"testing"
)

const nodeData = "../../testdata/node/"

// TestCompareNodeSnapshots runs the command on real Node.js data: by class
// by default, by allocation stack when --by is given and the snapshots have
// traces, and a one-line refusal for different kinds of data.
func TestCompareNodeSnapshots(t *testing.T) {
	code, out, errOut := runCLI(t, nil, "compare", nodeData+"leaky-before.heapsnapshot.gz", nodeData+"leaky-after.heapsnapshot.gz")
	if code != 0 || !regexp.MustCompile(`(?m)^\s+1000\s+0\s+\+1000\s.*LeakySession$`).MatchString(out) {
		t.Errorf("class view: exit %d, stderr %q, output:\n%s", code, errOut, out)
	}

	// Class views are grouped "by class", whatever --by says, and say so.
	for _, args := range [][]string{{"-f", "json"}, {"-f", "json", "--by", "func"}, {"-f", "json", "--by", "class"}} {
		_, out, _ := runCLI(t, nil, append([]string{"compare", nodeData + "leaky-before.heapsnapshot.gz", nodeData + "leaky-after.heapsnapshot.gz"}, args...)...)
		if !strings.Contains(out, `"by": "class"`) || !strings.Contains(out, `"name": "LeakySession"`) {
			t.Errorf("%v: the class view is not labelled by class:\n%.400s", args, out)
		}
	}
	_, out, _ = runCLI(t, nil, "compare", "--by", "class", "-f", "json", nodeData+"tracked-before.heapsnapshot.gz", nodeData+"tracked-after.heapsnapshot.gz")
	if !strings.Contains(out, `"by": "class"`) || strings.Contains(out, "leaky.js") {
		t.Errorf("--by class on traced snapshots does not give the class view:\n%.400s", out)
	}

	code, out, _ = runCLI(t, nil, "compare", "--by", "site", nodeData+"tracked-before.heapsnapshot.gz", nodeData+"tracked-after.heapsnapshot.gz")
	if code != 0 || !regexp.MustCompile(`(?m)\+1000\s.*LeakySession leaky\.js:18$`).MatchString(out) {
		t.Errorf("allocation view: exit %d, output:\n%s", code, out)
	}

	code, out, _ = runCLI(t, nil, "compare", nodeData+"before.heapprofile.gz", nodeData+"after.heapprofile.gz")
	if code != 0 || !strings.Contains(out, "leak leaky.js:41") || !strings.Contains(out, "sampled every 8.0KiB") {
		t.Errorf("sampling heap profiles: exit %d, output:\n%s", code, out)
	}

	code, _, errOut = runCLI(t, nil, "compare", nodeData+"leaky-before.heapsnapshot.gz", nodeData+"datadog-after.pb.gz")
	if code != 1 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "cannot be compared") {
		t.Errorf("snapshot vs pprof: exit %d, stderr %q", code, errOut)
	}

	code, _, errOut = runCLI(t, nil, "compare", nodeData+"bun-jsc.json.gz", nodeData+"bun-after.heapsnapshot.gz")
	if code != 1 || !strings.Contains(errOut, `generateHeapSnapshot("v8")`) || strings.Count(errOut, "\n") != 1 {
		t.Errorf("JSC snapshot: exit %d, stderr %q", code, errOut)
	}
}

// TestCompareDatadogPprof: @datadog/pprof heap profiles load through the
// pprof decoder; the leaking constructor's line shows with its growth.
func TestCompareDatadogPprof(t *testing.T) {
	code, out, errOut := runCLI(t, nil, "compare", "-i", "inuse_objects", nodeData+"datadog-before.pb.gz", nodeData+"datadog-after.pb.gz")
	if code != 0 || !strings.Contains(out, "inuse_objects/count") || !regexp.MustCompile(`(?m)\+\d+.*leak leaky\.js:41$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)\s\(external\)$`).MatchString(out) {
		t.Errorf("exit %d, stderr %q, output:\n%s", code, errOut, out)
	}
}

// TestTrendOfSnapshotsIsByClass checks that a series of class views is
// labelled by class, as compare labels a pair.
func TestTrendOfSnapshotsIsByClass(t *testing.T) {
	snaps := []string{nodeData + "leaky-before.heapsnapshot.gz", nodeData + "leaky-after.heapsnapshot.gz", nodeData + "leaky-after.heapsnapshot.gz"}
	code, out, errOut := runCLI(t, nil, append([]string{"trend", "-f", "json"}, snaps...)...)
	if code != 0 || !strings.Contains(out, `"by": "class"`) {
		t.Errorf("exit %d, stderr %q, output:\n%.300s", code, errOut, out)
	}
}

// TestSeriesCommandsHonourByOnTracedSnapshots checks that trend and check,
// like compare, group traced snapshots by allocation stack when --by asks.
func TestSeriesCommandsHonourByOnTracedSnapshots(t *testing.T) {
	before, after := nodeData+"tracked-before.heapsnapshot.gz", nodeData+"tracked-after.heapsnapshot.gz"
	_, out, _ := runCLI(t, nil, "check", before, after, "--by", "site", "--max-site-growth", "10KiB", "-f", "json")
	if !strings.Contains(out, "leaky.js:") || strings.Contains(out, `"name": "Array"`) {
		t.Errorf("check --by site on traced snapshots is not by allocation site:\n%.500s", out)
	}
	_, out, _ = runCLI(t, nil, "trend", before, after, after, "--by", "site", "--allow-mixed", "-f", "json")
	if !strings.Contains(out, "leaky.js:") || !strings.Contains(out, `"by": "site"`) {
		t.Errorf("trend --by site on traced snapshots is not by allocation site:\n%.500s", out)
	}
	_, out, _ = runCLI(t, nil, "trend", before, after, after, "--allow-mixed", "-f", "json")
	if !strings.Contains(out, `"by": "class"`) {
		t.Errorf("trend without --by on snapshots is not by class:\n%.300s", out)
	}
}
