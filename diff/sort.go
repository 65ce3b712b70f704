package diff

import "cmp"

// rank orders the categories of rows: significant growth, significant
// shrinkage, changes within noise, unchanged.
func rank(c Change) int {
	d := c.Delta()
	switch {
	case d > 0 && c.Significant:
		return 0
	case d < 0 && c.Significant:
		return 1
	case d != 0:
		return 2
	default:
		return 3
	}
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// compareRows orders two rows by their change of the sample type shown:
// significant growth first (largest first), then significant shrinkage
// (largest first), then changes within noise (largest first), then unchanged
// rows (largest first); names, then the order groups were first seen in
// (which no two rows share), break ties so the order is deterministic. Stack
// rows are not named yet when they are sorted.
func compareRows(ca, cb Change, nameA, nameB string, orderA, orderB int32) int {
	if r := cmp.Compare(rank(ca), rank(cb)); r != 0 {
		return r
	}
	var r int
	if rank(ca) == 3 {
		r = cmp.Compare(abs64(cb.Target), abs64(ca.Target))
	} else {
		r = cmp.Compare(abs64(cb.Delta()), abs64(ca.Delta()))
	}
	if r != 0 {
		return r
	}
	if r := cmp.Compare(nameA, nameB); r != 0 {
		return r
	}
	return cmp.Compare(orderA, orderB)
}
