// Package units writes measurements for people, the one way every part of
// heapdiff writes them: values in their sample type's unit (bytes in IEC
// units, nanoseconds as seconds, counts with k, M and G), and instants in
// one layout. The renderers in report, the warnings of diff and the
// progress lines of the CLI all take them from here, so a size or a time
// reads the same wherever it is shown. (The capture agent, which imports
// nothing of the analyzer, writes its own.)
package units

import (
	"math"
	"strconv"
	"time"
)

var iec = []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}

// Format writes v, a value in unit, for people: bytes in IEC units with
// one decimal ("12.5MiB", "1023B"), nanoseconds as seconds ("1.5s"), any
// other unit as a count with k, M or G past 10,000 ("123.5k"). signed puts a
// "+" before positive values.
func Format(v float64, unit string, signed bool) string {
	sign := ""
	switch {
	case v < 0:
		sign, v = "-", -v
	case signed && v > 0:
		sign = "+"
	}
	switch unit {
	case "bytes":
		i := 0
		for v >= 1024 && i < len(iec)-1 {
			v /= 1024
			i++
		}
		if i == 0 {
			return sign + strconv.FormatFloat(v, 'f', 0, 64) + "B"
		}
		return sign + strconv.FormatFloat(v, 'f', 1, 64) + iec[i]
	case "nanoseconds":
		return sign + strconv.FormatFloat(v/1e9, 'g', 4, 64) + "s"
	}
	switch {
	case v >= 1e9:
		return sign + strconv.FormatFloat(v/1e9, 'f', 1, 64) + "G"
	case v >= 1e6:
		return sign + strconv.FormatFloat(v/1e6, 'f', 1, 64) + "M"
	case v >= 1e4:
		return sign + strconv.FormatFloat(v/1e3, 'f', 1, 64) + "k"
	}
	return sign + strconv.FormatFloat(math.Round(v), 'f', 0, 64)
}

// Bytes writes a size in bytes for people, as Format does: "1.5MiB".
func Bytes(n int64) string { return Format(float64(n), "bytes", false) }

// TimeLayout is the layout of every instant heapdiff shows people: UTC to
// the second, with the zone's name, so that times from profiles taken in
// different zones read alike ("2026-12-01 10:00:00 UTC").
const TimeLayout = "2006-01-02 15:04:05 MST"

// Time writes t in UTC with TimeLayout.
func Time(t time.Time) string { return t.UTC().Format(TimeLayout) }
