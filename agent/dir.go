package agent

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// errDirRefused marks a snapshot directory the agent will not write to
// because another local user could control it.
var errDirRefused = errors.New("snapshot directory refused")

// guardedDir reports whether dir must pass [Agent.dirProblem] before the agent
// uses it: the default directory, which sits in the shared temporary directory
// where any local user can create "heapdiff" first, and any directory whose
// parent others can write to (such as /tmp/mybot), however it was named. A
// directory elsewhere is the operator's choice and is used as it is. Where
// file ownership is unknown (Windows) nothing is guarded.
func guardedDir(dir string, named bool) bool {
	if !ownershipKnown {
		return false
	}
	if !named || samePath(dir, DefaultDir()) {
		return true
	}
	parent, err := os.Stat(filepath.Dir(filepath.Clean(dir)))
	return err == nil && parent.Mode().Perm()&0o002 != 0
}

// samePath reports whether a and b name the same path, once made absolute.
func samePath(a, b string) bool {
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	return errA == nil && errB == nil && absA == absB
}

// dirProblem returns an error wrapping errDirRefused when the snapshot
// directory is guarded and not safely this process's own: a symbolic link,
// not a directory, owned by another user, or writable by group or others.
// A missing directory is no problem here: writes into it fail and say so.
func (a *Agent) dirProblem() error {
	if !a.guarded {
		return nil
	}
	fi, err := os.Lstat(a.cfg.dir)
	if err != nil {
		return nil
	}
	var why string
	switch uid, _ := fileOwner(fi); {
	case fi.Mode()&fs.ModeSymlink != 0:
		why = "is a symbolic link"
	case !fi.IsDir():
		why = "is not a directory"
	case uid != os.Geteuid():
		why = fmt.Sprintf("is owned by uid %d, not by this process's uid %d", uid, os.Geteuid())
	case fi.Mode().Perm()&0o022 != 0:
		why = fmt.Sprintf("is writable by other users (mode %04o)", fi.Mode().Perm())
	default:
		return nil
	}
	return fmt.Errorf("%w: %s %s, so another local user could read, replace or remove its snapshots; "+
		"no snapshots are written: remove it, or choose a directory of your own (agent.Dir, HEAPDIFF_DIR)",
		errDirRefused, a.cfg.dir, why)
}

// remakeDir makes the snapshot directory again, mode 0700, when it is gone,
// and reports whether it did: a long-running service outlives cleaners of
// /tmp, where the default directory sits, and without it every later
// snapshot would fail until a restart. The baseline went with the
// directory: the store forgets it, and the caller's snapshot is the new
// one. A directory made by someone else in the meantime is judged by
// checkDir. When it cannot be made, the write fails and says why.
func (a *Agent) remakeDir() bool {
	if _, err := os.Lstat(a.cfg.dir); !errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if err := os.MkdirAll(a.cfg.dir, 0o700); err != nil {
		return false
	}
	a.store.Forget()
	a.log.Warn("heapdiff: the snapshot directory was removed, with the baseline; made it again, and the next snapshot is the baseline", "dir", a.cfg.dir)
	return true
}

// checkDir is dirProblem for a write: a refusal is counted as a failure and
// logged once for the life of the agent, however many captures it stops.
func (a *Agent) checkDir() error {
	err := a.dirProblem()
	if err == nil {
		return nil
	}
	a.mu.Lock()
	a.failures++
	a.lastErr = err.Error()
	first := !a.errLogged[errDirRefused.Error()]
	a.errLogged[errDirRefused.Error()] = true
	a.mu.Unlock()
	if first {
		a.log.Error("heapdiff: " + err.Error())
	}
	return err
}

// prepareDir creates the snapshot directory (mode 0700, with any missing
// parents), refuses a guarded one another user could control, makes the
// default directory private, and has the store remove temporary files a
// crash left behind and apply retention to what is already there.
func (a *Agent) prepareDir() {
	if err := os.MkdirAll(a.cfg.dir, 0o700); err != nil {
		if a.checkDir() == nil { // a symbolic link or a file in the way is refused as such
			a.failed("create directory", err)
		}
		return
	}
	if a.checkDir() != nil {
		return
	}
	if !a.cfg.dirNamed {
		// Ours and not writable by others, but perhaps readable from an
		// earlier version that made it 0755: snapshots reveal the heap.
		if fi, err := os.Lstat(a.cfg.dir); err == nil && fi.Mode().Perm() != 0o700 {
			if err := os.Chmod(a.cfg.dir, 0o700); err != nil {
				a.failed("make directory private", err)
			} else {
				a.log.Info("heapdiff: made the snapshot directory private (mode 0700)", "dir", a.cfg.dir,
					"was", fmt.Sprintf("%04o", fi.Mode().Perm()))
			}
		}
	}
	a.pruned(nil, a.store.Tidy(a.cfg.now()))
}
