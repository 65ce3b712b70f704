package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// writeOutput runs render against standard output, or against path when one
// is given. A file is written to a temporary name in the same directory and
// renamed into place only when rendering succeeded, so a failure never leaves
// a half-written report or clobbers an existing one.
func writeOutput(s *streams, path string, render func(io.Writer) error) error {
	if path == "" || path == "-" {
		return render(s.Out)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if err := render(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
