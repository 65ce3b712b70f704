//go:build !unix

package agent

import "os"

// ownershipKnown says whether fileOwner can tell who owns a file: not here,
// where file modes do not describe who may write either, so the default
// directory is used as it is (on Windows it is in the user's own temporary
// directory).
const ownershipKnown = false

// fileOwner cannot tell who owns a file on this system.
func fileOwner(os.FileInfo) (uid int, ok bool) { return -1, false }
