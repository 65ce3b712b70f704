//go:build unix

package agent

import (
	"os"
	"syscall"
)

// ownershipKnown says whether fileOwner can tell who owns a file.
const ownershipKnown = true

// fileOwner returns the uid that owns the file fi describes.
func fileOwner(fi os.FileInfo) (uid int, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return -1, false
	}
	return int(st.Uid), true
}
