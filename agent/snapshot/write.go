package snapshot

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteAtomic creates the file name in dir with the bytes write produces,
// as [Store.Write] writes its snapshots: a hidden temporary file in the same
// directory, synced and renamed into place (and the directory synced), so
// readers see either no file or the whole file, even if the writer is
// killed mid-write. It never replaces a file: when dir has one called name
// already, or another writer is writing it, the write fails. A failed
// write removes its temporary file. It returns the file's size. It is
// exported for files a Store cannot write, such as the V8 heap snapshots
// "heapdiff capture node://" streams to disk.
func WriteAtomic(dir, name string, write func(io.Writer) error) (size int64, err error) {
	return writeAtomic(dir, name, write)
}

// writeAtomic creates the file name in dir with the bytes write produces. It
// writes a hidden temporary file in the same directory, syncs it to disk, and
// gives it its name (see place), so readers see either no file or the whole
// file, even if the process is killed mid-write. It returns the file's size.
//
// A temporary file left by a crash is removed by cleanTemp.
func writeAtomic(dir, name string, write func(io.Writer) error) (size int64, err error) {
	f, err := claim(dir, name)
	if errors.Is(err, fs.ErrExist) {
		return 0, fmt.Errorf("%s is being written or exists already: is another capture writing into %s?", filepath.Join(dir, name), dir)
	}
	if err != nil {
		return 0, fmt.Errorf("create temporary file in %s: %w", dir, err)
	}
	return writeClaimed(f, dir, name, write)
}

// claim creates, exclusively, the temporary file that becomes name in dir
// (tempName): while it is there no other writer can claim name, so two
// writers sharing a directory never write one name at once. It fails with
// an error wrapping fs.ErrExist when name is claimed already, or written.
// A claim a crash left is removed by cleanTemp.
func claim(dir, name string) (*os.File, error) {
	final := filepath.Join(dir, name)
	if _, err := os.Lstat(final); err == nil {
		return nil, &fs.PathError{Op: "claim", Path: final, Err: fs.ErrExist}
	}
	return os.OpenFile(filepath.Join(dir, tempName(name)), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
}

// writeClaimed writes the bytes write produces into f, the file claim
// made for name in dir, syncs it and gives it its name (see place). A
// failed write removes f.
func writeClaimed(f *os.File, dir, name string, write func(io.Writer) error) (size int64, err error) {
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	cw := &countWriter{w: f}
	if err := write(cw); err != nil {
		return 0, fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("close %s: %w", tmp, err)
	}
	final := filepath.Join(dir, name)
	if err := place(tmp, final); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return 0, fmt.Errorf("%s exists already, and is left as it is: is another capture writing into %s?", final, dir)
		}
		return 0, fmt.Errorf("rename to %s: %w", final, err)
	}
	// The rename is durable only once the directory itself is synced.
	if err := syncDir(dir); err != nil {
		return cw.n, fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return cw.n, nil
}

// place gives the finished temporary file tmp its final name without
// replacing a file of that name: two writers that share a directory and a
// name's fields (two "heapdiff capture" runs pulling from one target) must
// never overwrite each other's snapshots. A hard link fails, atomically, when
// the name is taken; on a file system without hard links (FAT, some network
// and FUSE file systems) place renames after checking that the name is
// free, which leaves a short race.
func place(tmp, final string) error {
	err := os.Link(tmp, final)
	if err == nil {
		// The snapshot is in place under both names. Should the
		// temporary one stay, it is a leftover like a crash's, which
		// cleanTemp removes.
		os.Remove(tmp)
		return nil
	}
	if errors.Is(err, fs.ErrExist) {
		return err
	}
	if _, serr := os.Lstat(final); serr == nil {
		return &os.LinkError{Op: "rename", Old: tmp, New: final, Err: fs.ErrExist}
	}
	return os.Rename(tmp, final)
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// cleanTemp removes the temporary files that an interrupted writeAtomic left
// in dir, those for which remove reports true given the snapshot they were
// meant to become (for example: written by this host) and the file's details.
// It never touches any other file. It returns the names it removed.
func cleanTemp(dir string, remove func(Name, os.FileInfo) bool) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("clean temporary files: %w", err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		n, ok := ParseTemp(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil || !remove(n, info) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, e.Name())
	}
	return removed, errors.Join(errs...)
}
