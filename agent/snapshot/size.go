package snapshot

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseBytes reads a size such as "512MiB", "1.5GB", "64K" or "1048576", for
// retention limits and thresholds given as text. KB, MB, GB, TB, PB are
// powers of 1000; KiB, MiB, GiB, TiB, PiB and the bare K, M, G, T, P are
// powers of 1024; a trailing "B" alone, or nothing, means bytes.
func ParseBytes(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.TrimSpace(t[i:])
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" {
		return 0, fmt.Errorf("size %q: want a number with an optional unit, like 512MiB or 2GB", s)
	}
	mult, ok := sizeUnits[strings.ToLower(unit)]
	if !ok {
		return 0, fmt.Errorf("size %q: unknown unit %q (use B, KB, MB, GB, TB, PB, KiB, MiB, GiB, TiB, PiB)", s, unit)
	}
	v *= mult
	if v >= math.MaxUint64 {
		return 0, fmt.Errorf("size %q: too large", s)
	}
	return uint64(v), nil
}

var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "pb": 1e15,
	"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40, "pib": 1 << 50,
}

// ParseRate reads a rate such as "50MiB/h", "200KiB/min" or "1GB/day" and
// returns it in bytes per hour. The size is read by [ParseBytes]; the time
// unit is one of s, sec, second, m, min, minute, h, hr, hour, d or day.
func ParseRate(s string) (float64, error) {
	size, per, ok := strings.Cut(strings.TrimSpace(s), "/")
	perHour, known := ratePeriods[strings.ToLower(strings.TrimSpace(per))]
	if !ok || !known {
		return 0, fmt.Errorf("rate %q: want a size per time, like 50MiB/h, 200KiB/min or 1GB/day", s)
	}
	n, err := ParseBytes(size)
	if err != nil {
		return 0, fmt.Errorf("rate %q: want a size per time, like 50MiB/h, 200KiB/min or 1GB/day", s)
	}
	return float64(n) * perHour, nil
}

// ratePeriods gives, for each time unit a rate may be written per, how many
// of it make an hour.
var ratePeriods = map[string]float64{
	"s": 3600, "sec": 3600, "second": 3600,
	"m": 60, "min": 60, "minute": 60,
	"h": 1, "hr": 1, "hour": 1,
	"d": 1.0 / 24, "day": 1.0 / 24,
}

// ParseDuration reads a duration as time.ParseDuration does ("90s",
// "1h30m"), and also whole days ("7d"), which retention ages are often given
// in. It is the one duration parser of the agent's variables and of the
// heapdiff command's flags.
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(t, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n < 0 || n > math.MaxInt64/int64(24*time.Hour) {
			return 0, fmt.Errorf("duration %q: want whole days like 7d, or a Go duration like 90s, 30m or 1h30m", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("duration %q: want a Go duration like 90s, 30m or 1h30m, or whole days like 7d", s)
	}
	return d, nil
}
