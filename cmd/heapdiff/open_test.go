package main

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestCompareHTML(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "report.html")
	code, stdout, errOut := runCLI(t, nil, "compare", base, target, "-o", out)
	if code != exitOK || stdout != "" {
		t.Fatalf("exit %d, stdout %d bytes, stderr %q", code, len(stdout), errOut)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<!DOCTYPE html>", `id="heapdiff-data"`, `"main.(*SessionStore).Open main.go:50"`, "heapdiff.start()"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	for _, f := range []string{"html", "htm"} {
		code, stdout, errOut = runCLI(t, nil, "compare", base, target, "-f", f)
		if code != exitOK || !strings.HasPrefix(stdout, "<!DOCTYPE html>") {
			t.Errorf("-f %s: exit %d, stderr %q, output %.40q", f, code, errOut, stdout)
		}
	}
}

// fakeBrowser writes a script that records its arguments, one per line, in
// a file, and exits with status; it returns the script and the file.
func fakeBrowser(t *testing.T, status int) (script, record string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake browser is a shell script")
	}
	dir := t.TempDir()
	record = filepath.Join(dir, "opened")
	script = filepath.Join(dir, "browser")
	body := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > '" + record + "'\nexit " + string(rune('0'+status)) + "\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script, record
}

func recorded(t *testing.T, record string) []string {
	t.Helper()
	data, err := os.ReadFile(record)
	if err != nil {
		t.Fatalf("the browser was not run: %v", err)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

func TestCompareOpen(t *testing.T) {
	script, record := fakeBrowser(t, 0)

	t.Run("with -o", func(t *testing.T) {
		t.Setenv("BROWSER", script)
		out := filepath.Join(t.TempDir(), "r.html")
		code, _, errOut := runCLI(t, nil, "compare", base, target, "-o", out, "--open")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if args := recorded(t, record); len(args) != 1 || args[0] != out {
			t.Errorf("the browser got %q, want [%s]", args, out)
		}
	})

	t.Run("without -o, a temporary file", func(t *testing.T) {
		t.Setenv("BROWSER", script+" --new-window %s")
		code, stdout, errOut := runCLI(t, nil, "compare", base, target, "--open")
		if code != exitOK || stdout != "" {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, errOut)
		}
		args := recorded(t, record)
		if len(args) != 2 || args[0] != "--new-window" {
			t.Fatalf("the browser got %q", args)
		}
		t.Cleanup(func() { os.Remove(args[1]) })
		if !strings.Contains(errOut, args[1]) {
			t.Errorf("stderr %q does not say where the report is", errOut)
		}
		page, err := os.ReadFile(args[1])
		if err != nil || !strings.HasPrefix(string(page), "<!DOCTYPE html>") {
			t.Errorf("the opened file is not the report: %v %.40q", err, page)
		}
	})

	t.Run("a browser that fails", func(t *testing.T) {
		failing, _ := fakeBrowser(t, 3)
		t.Setenv("BROWSER", failing)
		out := filepath.Join(t.TempDir(), "r.html")
		code, _, errOut := runCLI(t, nil, "compare", base, target, "-o", out, "--open")
		if code != exitError || !strings.Contains(errOut, "could not open it") || !strings.Contains(errOut, "status 3") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
		if _, err := os.Stat(out); err != nil {
			t.Errorf("the report was not kept: %v", err)
		}
	})

	t.Run("not HTML", func(t *testing.T) {
		t.Setenv("BROWSER", script)
		code, _, errOut := runCLI(t, nil, "compare", base, target, "-f", "json", "--open")
		if code != exitUsage || !strings.Contains(errOut, "--open shows HTML") {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
}

func TestBrowserCommand(t *testing.T) {
	for _, tc := range []struct {
		env, goos string
		want      []string
	}{
		{"", "linux", []string{"xdg-open", "/r.html"}},
		{"", "darwin", []string{"open", "/r.html"}},
		{"", "windows", []string{"rundll32", "url.dll,FileProtocolHandler", "/r.html"}},
		{"firefox", "linux", []string{"firefox", "/r.html"}},
		{"chromium --incognito %s" + string(os.PathListSeparator) + "firefox", "linux", []string{"chromium", "--incognito", "/r.html"}},
		{string(os.PathListSeparator) + "lynx", "linux", []string{"lynx", "/r.html"}},
	} {
		if got := browserCommand("/r.html", tc.env, tc.goos); !slices.Equal(got, tc.want) {
			t.Errorf("browserCommand(%q, %s) = %q, want %q", tc.env, tc.goos, got, tc.want)
		}
	}
}
