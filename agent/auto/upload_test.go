package auto

import (
	"strings"
	"testing"
)

// HEAPDIFF_UPLOAD in a program that imports only this package says, once,
// at the first snapshot, that snapshots stay local; once an uploader has
// claimed it, nothing is said.
func TestUploadWithoutUploaderIsLoggedOnce(t *testing.T) {
	const warning = "this program does not upload"
	for _, claimed := range []bool{false, true} {
		uploadClaimed.Store(claimed)
		logs := capture(t)
		a := Start(env(map[string]string{"HEAPDIFF_DIR": t.TempDir(), "HEAPDIFF_BASELINE_AFTER": "0", "HEAPDIFF_GC": "false",
			"HEAPDIFF_UPLOAD": "s3://snapshots/prod"}))
		if a == nil {
			t.Fatalf("agent not started:\n%s", logs())
		}
		if strings.Contains(logs(), warning) {
			t.Errorf("warned before any snapshot:\n%s", logs())
		}
		for range 2 {
			if _, err := a.Capture("test"); err != nil {
				t.Fatal(err)
			}
		}
		a.Close()
		want := 1
		if claimed {
			want = 0
		}
		if got := strings.Count(logs(), warning); got != want {
			t.Errorf("claimed %v: the warning appears %d times, want %d:\n%s", claimed, got, want, logs())
		}
	}
	uploadClaimed.Store(false)
}
