//go:build !unix

package agent

import "os"

// defaultSignals is empty where SIGUSR2 does not exist (Windows, Plan 9, wasm):
// use [Agent.Capture], the schedule or [Agent.Handler] there.
var defaultSignals []os.Signal
