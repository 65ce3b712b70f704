package agent

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
)

// bytesIEC formats a byte count for people: "1.5 GiB".
func bytesIEC(n float64) string {
	const unit = 1024
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	if n < unit {
		return fmt.Sprintf("%s%.0f B", sign, n)
	}
	exp := min(int(math.Log(n)/math.Log(unit)), 6)
	return fmt.Sprintf("%s%.1f %ciB", sign, n/math.Pow(unit, float64(exp)), "KMGTPE"[exp-1])
}

// FormatBytes formats a byte count for people, as alerts and summaries do:
// "1.5 GiB", "512 B".
func FormatBytes(n float64) string { return bytesIEC(n) }

// CompareCommand is the heapdiff command that compares the snapshots before
// and after (base names) in dir, with absolute paths quoted for a POSIX
// shell, as alerts and summaries give it.
func CompareCommand(dir, before, after string) string { return compareCommand(dir, before, after) }

// compareCommand is the heapdiff command that compares two snapshots in dir,
// with absolute paths quoted for a POSIX shell, so it can be pasted into a
// terminal in any directory.
func compareCommand(dir, before, after string) string {
	return "heapdiff compare " + shellQuote(filepath.Join(dir, before)) + " " + shellQuote(filepath.Join(dir, after))
}

// shellQuote quotes s for a POSIX shell: unchanged when it is made only of
// characters no shell treats specially, otherwise in single quotes, with each
// single quote inside written as '\”.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return !shellSafe(r) }) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func shellSafe(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./_-", r)
}
