// Package pproftest reads profiles for the agent's tests with pprof as the Go
// toolchain ships it ("go tool pprof"): an outside parser checks every
// snapshot the tests write, while the agent module itself requires no other
// module, not even for its tests (a module's test dependencies enter the
// module graph of every service that requires it).
package pproftest

import (
	"os/exec"
	"strings"
	"testing"
)

// Profile is what pprof read from a profile file.
type Profile struct {
	// Raw is pprof's -raw dump: comments, sample types, samples, locations
	// and mappings, as text.
	Raw string
	// Comments are the profile's comments, in order.
	Comments []string
	// SampleTypes are its sample types as pprof prints them, such as
	// "inuse_space/bytes".
	SampleTypes []string
}

// Parse reads the profile at path with "go tool pprof -raw", failing the test
// if pprof cannot parse it. "go test" puts its own go command first in PATH.
func Parse(t testing.TB, path string) Profile {
	t.Helper()
	cmd := exec.Command("go", "tool", "pprof", "-raw", "-symbolize=none", path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go tool pprof %s: %v\n%s", path, err, stderr.String())
	}
	p := Profile{Raw: string(out)}
	lines := strings.Split(p.Raw, "\n")
	for i, line := range lines {
		if c, ok := strings.CutPrefix(line, "Comment: "); ok {
			p.Comments = append(p.Comments, c)
		}
		if line == "Samples:" && i+1 < len(lines) {
			p.SampleTypes = strings.Fields(lines[i+1])
		}
	}
	if p.SampleTypes == nil {
		t.Fatalf("go tool pprof %s printed no sample types:\n%s", path, p.Raw)
	}
	return p
}
