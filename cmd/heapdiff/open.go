package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/heapdiff/heapdiff/profile"
	"github.com/heapdiff/heapdiff/report"
)

// openFormat checks the format of a report to --open: HTML, which is also
// the default when neither -f nor -o chose one.
func openFormat(flag, output string, chosen report.Format) (report.Format, error) {
	if flag == "" && (output == "" || output == "-") {
		return report.FormatHTML, nil
	}
	if chosen != report.FormatHTML {
		return "", usageError{fmt.Errorf("--open shows HTML reports, not %s: use -o FILE.html or -f html", chosen)}
	}
	if report.Gzipped(output) {
		return "", usageError{fmt.Errorf("--open: a browser does not open a gzipped page like %s: use -o FILE.html", profile.Printable(output))}
	}
	return chosen, nil
}

// writeAndOpen writes the report to path (a new temporary file when path is
// empty or "-") and opens it in a browser.
func writeAndOpen(s *streams, path string, render func(io.Writer) error) error {
	if path == "" || path == "-" {
		f, err := os.CreateTemp("", "heapdiff-*.html")
		if err != nil {
			return fmt.Errorf("create a file for the report: %w", err)
		}
		path = f.Name()
		f.Close()
		fmt.Fprintf(s.ErrOut, "heapdiff: report written to %s\n", profile.Printable(path))
	}
	if err := writeOutput(s, path, render); err != nil {
		return err
	}
	if err := openInBrowser(path, os.Getenv("BROWSER"), runtime.GOOS); err != nil {
		return fmt.Errorf("wrote %s but could not open it: %w", profile.Printable(path), err)
	}
	return nil
}

// openerWait is how long openInBrowser waits for the browser command to
// finish: openers such as xdg-open return at once, and their failures are
// worth reporting; a browser run directly keeps running, and is left to it.
const openerWait = 3 * time.Second

// openInBrowser opens a file with the command in browserEnv (the BROWSER
// convention: a list of commands separated by the path list separator, each
// with %s for the file or taking it as its last argument; the first is
// used), else the system's opener.
func openInBrowser(path, browserEnv, goos string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	argv := browserCommand(abs, browserEnv, goos)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", profile.Printable(argv[0]), err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return fmt.Errorf("%s exited with status %d", profile.Printable(argv[0]), exit.ExitCode())
		}
		return err
	case <-time.After(openerWait):
		return nil // a browser that stays open; it is on its own now
	}
}

// browserCommand returns the command line that opens path.
func browserCommand(path, browserEnv, goos string) []string {
	for _, b := range filepath.SplitList(browserEnv) {
		fields := strings.Fields(b)
		if len(fields) == 0 {
			continue
		}
		placed := false
		for i, f := range fields {
			if strings.Contains(f, "%s") {
				fields[i] = strings.ReplaceAll(f, "%s", path)
				placed = true
			}
		}
		if !placed {
			fields = append(fields, path)
		}
		return fields
	}
	switch goos {
	case "darwin":
		return []string{"open", path}
	case "windows":
		return []string{"rundll32", "url.dll,FileProtocolHandler", path}
	default:
		return []string{"xdg-open", path}
	}
}
