package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/gzip"

	"github.com/heapdiff/heapdiff/profile"
	"github.com/heapdiff/heapdiff/report"
)

// writeOutput runs render against standard output, or against path when one
// is given. A file is written to a temporary name in the same directory and
// renamed into place only when rendering succeeded, so a failure never leaves
// a half-written report or clobbers an existing one.
//
// The report gets the mode a plain create would give it: a new file 0666
// less the umask, an existing file its own mode (a 0600 report stays
// private). A path that is the process's own standard output or error
// (/dev/stdout, /dev/fd/2, or the file they were redirected to) is written
// to that stream. A symbolic link, a device or a named pipe is opened and
// written in place, as a shell's > would: the kernel follows the link, with
// its protections (fs.protected_symlinks refuses root a link another user
// planted in /tmp), and the link stays a link; none is replaced by a file.
// A path ending in ".gz" (report.json.gz) gets the report gzipped.
func writeOutput(s *streams, path string, render func(io.Writer) error) error {
	if path == "" || path == "-" {
		return render(s.Out)
	}
	if report.Gzipped(path) {
		render = gzipping(render)
	}
	fail := func(err error) error {
		return fmt.Errorf("write %s: %w", profile.Printable(path), pathless(err))
	}
	if st, err := os.Stat(path); err == nil {
		switch {
		case sameFile(st, os.Stdout):
			return render(s.Out)
		case sameFile(st, os.Stderr):
			return render(s.ErrOut)
		}
	}
	if st, err := os.Lstat(path); err == nil && !st.Mode().IsRegular() && !st.IsDir() {
		return writeInPlace(path, render, fail)
	}
	tmp, keepMode, err := createOutputTemp(path)
	if err != nil {
		return fail(err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if err := render(tmp); err != nil {
		tmp.Close()
		return fail(err)
	}
	if keepMode != nil {
		if err := tmp.Chmod(*keepMode); err != nil {
			tmp.Close()
			return fail(err)
		}
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fail(err)
	}
	return nil
}

// gzipping returns render with its output gzipped.
func gzipping(render func(io.Writer) error) func(io.Writer) error {
	return func(w io.Writer) error {
		zw := gzip.NewWriter(w)
		if err := render(zw); err != nil {
			return err
		}
		return zw.Close()
	}
}

// sameFile reports whether st is the file f is open on.
func sameFile(st fs.FileInfo, f *os.File) bool {
	fst, err := f.Stat()
	return err == nil && os.SameFile(st, fst)
}

// writeInPlace renders into a path that is not a regular file (a symbolic
// link, a device, a named pipe), opened for writing as a shell's > opens it:
// a link's target is truncated, or made when the link dangles.
func writeInPlace(path string, render func(io.Writer) error, fail func(error) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return fail(err)
	}
	if err := render(f); err != nil {
		f.Close()
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	return nil
}

// outputNotInput refuses an output path that names one of the inputs, by
// any path or link ("-" is standard input): the report would replace the
// profile it is made from.
func outputNotInput(output string, inputs ...string) error {
	if output == "" || output == "-" {
		return nil
	}
	out, err := os.Stat(output)
	if err != nil {
		return nil // not there yet: no input
	}
	for _, in := range inputs {
		var st fs.FileInfo
		if in == "-" {
			st, err = os.Stdin.Stat()
		} else {
			st, err = os.Stat(in)
		}
		if err == nil && os.SameFile(out, st) {
			name := profile.Printable(in)
			if in == "-" {
				name = "read from standard input"
			}
			return usageError{fmt.Errorf("-o %s is the profile %s: the report would replace it; write it elsewhere", profile.Printable(output), name)}
		}
	}
	return nil
}

// createOutputTemp creates the temporary file a report to path is written
// to, next to path. When path exists its mode is returned, to be put on the
// temporary file, which is created private (0600) until then. Otherwise the
// temporary file is created 0666 and the kernel applies the umask, as it
// would to the report itself: reading the umask from Go would mean setting
// it, for every thread of the process.
func createOutputTemp(path string) (*os.File, *fs.FileMode, error) {
	perm := fs.FileMode(0o666)
	var keep *fs.FileMode
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, nil, errors.New("is a directory")
	} else if err == nil && st.Mode().IsRegular() {
		mode := st.Mode().Perm()
		keep, perm = &mode, 0o600
	}
	dir, base := filepath.Split(path)
	for range 100 {
		var r [6]byte
		rand.Read(r[:])
		name := filepath.Join(dir, "."+base+"."+hex.EncodeToString(r[:])+".tmp")
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, keep, err
	}
	return nil, nil, errors.New("cannot create a temporary file next to it")
}

// pathless drops the path an *fs.PathError or *os.LinkError repeats (raw,
// and the temporary name means nothing to the user): the caller names the
// file once, escaped. An error that wraps one keeps its own context.
func pathless(err error) error {
	switch e := err.(type) {
	case *fs.PathError:
		return e.Err
	case *os.LinkError:
		return e.Err
	}
	return err
}
