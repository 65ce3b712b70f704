package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// cli is the heapdiff binary the tests that need a real process run: built
// once per test run, on first use, and removed by TestMain.
var cli struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if cli.dir != "" {
		os.RemoveAll(cli.dir)
	}
	os.Exit(code)
}

// heapdiffBinary builds the command (without the race detector, as users run
// it) into a directory any user can read, and returns its path.
func heapdiffBinary(t *testing.T) string {
	t.Helper()
	cli.once.Do(func() {
		if cli.dir, cli.err = os.MkdirTemp("", "heapdiff-cli-"); cli.err != nil {
			return
		}
		if cli.err = os.Chmod(cli.dir, 0o755); cli.err != nil {
			return
		}
		cli.path = filepath.Join(cli.dir, "heapdiff")
		out, err := exec.Command("go", "build", "-o", cli.path, ".").CombinedOutput()
		if err != nil {
			cli.err = errors.New("go build: " + err.Error() + "\n" + string(out))
		}
	})
	if cli.err != nil {
		t.Fatal(cli.err)
	}
	return cli.path
}
