package agent

import (
	"fmt"
	"math"
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
