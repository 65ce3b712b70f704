package main

import (
	"bufio"
	"os"
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
	t.Chdir("../..")
	for _, args := range commands {
		code, out, errOut := runCLI(t, nil, args...)
		if code != 0 || out == "" {
			t.Errorf("README command heapdiff %s: exit %d, %d bytes of output, stderr %q", strings.Join(args, " "), code, len(out), errOut)
		}
	}
}
