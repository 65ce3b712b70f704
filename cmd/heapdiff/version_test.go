package main

import (
	"runtime"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, out, errOut := runCLI(t, nil, args...)
		if code != exitOK || errOut != "" || !strings.HasPrefix(out, "heapdiff ") || !strings.Contains(out, runtime.Version()) || strings.Count(out, "\n") != 1 {
			t.Errorf("%v: exit %d, out %q, stderr %q", args, code, out, errOut)
		}
	}
}
