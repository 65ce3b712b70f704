package main

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestReadmeCommands runs every "go run ./cmd/heapdiff ..." command that
// README.md shows, from the repository root, so the documentation cannot rot.
func TestReadmeCommands(t *testing.T) {
	f, err := os.Open("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var commands [][]string
	inCode := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
			continue
		}
		if !inCode || !strings.HasPrefix(line, "go run ./cmd/heapdiff ") {
			continue
		}
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		commands = append(commands, strings.Fields(line)[3:])
	}
	if len(commands) == 0 {
		t.Fatal("README.md shows no go run ./cmd/heapdiff command")
	}
	outDir := t.TempDir()
	t.Chdir("../..")
	for _, args := range commands {
		// A report written with -o goes to a temporary directory, not
		// into the repository.
		output := ""
		for i, a := range args {
			if (a == "-o" || a == "--output") && i+1 < len(args) {
				output = filepath.Join(outDir, filepath.Base(args[i+1]))
				args = append(slices.Clone(args[:i+1]), append([]string{output}, args[i+2:]...)...)
				break
			}
		}
		code, out, errOut := runCLI(t, nil, args...)
		if output != "" {
			if info, err := os.Stat(output); err != nil || info.Size() == 0 {
				t.Errorf("README command heapdiff %s: exit %d, stderr %q, wrote no %s", strings.Join(args, " "), code, errOut, output)
			}
			out = "(written to " + output + ")"
		}
		if code != 0 || out == "" {
			t.Errorf("README command heapdiff %s: exit %d, %d bytes of output, stderr %q", strings.Join(args, " "), code, len(out), errOut)
		}
	}
}

// TestReadmeOutputs checks every output README.md shows: a code block right
// after a "<!-- output of: ARGS -->" comment must match, line by line and in
// order, lines of what heapdiff ARGS prints ("..." stands for lines left
// out), so the examples cannot go stale.
func TestReadmeOutputs(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	t.Chdir("../..")
	checked := 0
	for i, line := range lines {
		args, ok := strings.CutPrefix(strings.TrimSpace(line), "<!-- output of: ")
		if !ok {
			continue
		}
		args = strings.TrimSuffix(args, " -->")
		if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "```") {
			t.Fatalf("README.md line %d: no code block after the output marker", i+1)
		}
		var shown []string
		for _, l := range lines[i+2:] {
			if strings.HasPrefix(l, "```") {
				break
			}
			shown = append(shown, l)
		}
		code, out, errOut := runCLI(t, nil, strings.Fields(args)...)
		if code != 0 {
			t.Fatalf("heapdiff %s: exit %d: %s", args, code, errOut)
		}
		got := strings.Split(out, "\n")
		at := 0
		for _, want := range shown {
			if strings.TrimSpace(want) == "..." {
				continue
			}
			for at < len(got) && strings.TrimRight(got[at], " ") != strings.TrimRight(want, " ") {
				at++
			}
			if at == len(got) {
				t.Errorf("README.md shows, for heapdiff %s, a line it does not print (in this order):\n%s\nit prints:\n%s", args, want, out)
				break
			}
			at++
		}
		checked++
	}
	if checked < 3 {
		t.Errorf("checked %d outputs; README.md marks at least 3", checked)
	}
}
