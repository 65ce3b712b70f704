package agent_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A service that imports the agent pays nothing for it: its module graph
// holds its own module and the agent's, nothing else, and its binary links
// the standard library and the agent's packages only. Each case builds a
// throwaway service against this checkout of the agent, offline.
func TestServiceGainsOnlyTheAgentModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a service with the go command")
	}
	agentDir, err := filepath.Abs(".") // this package's directory is the agent module's root
	if err != nil {
		t.Fatal(err)
	}
	const agentMod = "github.com/heapdiff/heapdiff/agent"
	// The service's go line is the agent's, the lowest a service can have.
	goLine := strings.TrimSpace(run(t, agentDir, "go", "list", "-m", "-f", "{{.GoVersion}}"))
	for _, tc := range []struct {
		name, imports, body string
		packages            []string // the non-standard packages the service depends on
	}{
		{"agent", `"github.com/heapdiff/heapdiff/agent"`,
			`a, err := agent.Start(agent.Dir(os.Args[1]))
	if err != nil {
		panic(err)
	}
	defer a.Close()`,
			[]string{agentMod, agentMod + "/snapshot"}},
		{"auto", `_ "github.com/heapdiff/heapdiff/agent/auto"`, ``,
			[]string{agentMod, agentMod + "/auto", agentMod + "/snapshot"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write := func(name, content string) {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			write("go.mod", "module example.com/service\n\ngo "+goLine+"\n\n"+
				"require "+agentMod+" v0.0.0-00010101000000-000000000000\n\n"+
				"replace "+agentMod+" => "+agentDir+"\n")
			write("main.go", "package main\n\nimport (\n\t\"os\"\n\n\t"+tc.imports+"\n)\n\nfunc main() {\n\t_ = os.Args\n\t"+tc.body+"\n}\n")

			modules := run(t, dir, "go", "list", "-m", "all")
			t.Logf("go list -m all:\n%s", modules)
			var paths []string
			for _, line := range strings.Split(strings.TrimSpace(modules), "\n") {
				paths = append(paths, strings.Fields(line)[0])
			}
			if want := []string{"example.com/service", agentMod}; !slices.Equal(paths, want) {
				t.Errorf("the service's module graph holds %q, want only %q", paths, want)
			}

			deps := strings.Fields(run(t, dir, "go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "."))
			if want := append([]string{"example.com/service"}, tc.packages...); !slices.Equal(sorted(deps), sorted(want)) {
				t.Errorf("the service depends on %q, want the standard library and %q only", deps, want)
			}

			// What the linker recorded agrees: one dependency, the agent.
			run(t, dir, "go", "build", "-o", "service", ".")
			var recorded []string
			for _, line := range strings.Split(run(t, dir, "go", "version", "-m", "service"), "\n") {
				if f := strings.Fields(line); len(f) >= 2 && f[0] == "dep" {
					recorded = append(recorded, f[1])
				}
			}
			if !slices.Equal(recorded, []string{agentMod}) {
				t.Errorf("the binary records dependencies %q, want only %s", recorded, agentMod)
			}
		})
	}
}

// run runs a go command in dir as a service's build would, but offline and
// outside any workspace, and returns its standard output.
func run(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOPROXY=off", "GOTOOLCHAIN=local")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s in %s: %v\n%s", name, strings.Join(args, " "), dir, err, stderr.String())
	}
	return string(out)
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
