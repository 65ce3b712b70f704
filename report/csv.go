package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/heapdiff/heapdiff/diff"
)

// CSV writes one record per row with every sample type's values: for each
// type T the columns T_base, T_target, T_delta, T_percent, T_rate_per_hour,
// T_noise and T_significant (and the same prefixed "cum_" with --cum); a
// header cell that would start a formula is escaped as name cells are. Rows
// cut by --top are summed into a last record named "(rest)". Heap snapshot
// comparisons whose object ids match add new_objects, deleted_objects,
// new_size and deleted_size (DevTools' Alloc. Size and Freed Size). Empty cells mean
// unknown (a percent of a zero base, a rate without times).
func CSV(w io.Writer, c *diff.Comparison) error {
	cw := csv.NewWriter(w)
	header := []string{"name", "function", "file", "line"}
	prefixes := []string{""}
	if c.Cum {
		prefixes = append(prefixes, "cum_")
	}
	for _, p := range prefixes {
		for _, t := range c.Types {
			for _, col := range []string{"base", "target", "delta", "percent", "rate_per_hour", "noise", "significant"} {
				// Sample type names come from the profile, as row names do.
				header = append(header, csvText(p+t.Type+"_"+col))
			}
		}
	}
	objects := false
	for _, r := range c.Rows {
		objects = objects || r.Objects != nil
	}
	if objects {
		header = append(header, "new_objects", "deleted_objects", "new_size", "deleted_size")
	}
	kept := hasKept(c)
	if kept {
		header = append(header, "kept", "kept_noise")
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	var obj *diff.ObjectChange
	write := func(name, function, file, line string, flat, cum []diff.Change) error {
		rec := []string{csvText(name), csvText(function), csvText(file), line}
		rec = appendChanges(rec, c, flat)
		if c.Cum {
			rec = appendChanges(rec, c, cum)
		}
		switch {
		case objects && obj != nil:
			rec = append(rec, strconv.FormatInt(obj.New, 10), strconv.FormatInt(obj.Deleted, 10),
				strconv.FormatInt(obj.NewSize, 10), strconv.FormatInt(obj.DeletedSize, 10))
		case objects:
			rec = append(rec, "", "", "", "")
		}
		if kept {
			if k, ok := c.Kept(flat); ok {
				rec = append(rec, formatFloat(k.Share), formatFloat(k.Noise))
			} else {
				rec = append(rec, "", "")
			}
		}
		return cw.Write(rec)
	}
	for _, r := range c.Rows {
		r = r.Named()
		var function, file, line string
		if len(r.Frames) > 0 {
			f := r.Frames[0]
			function, file = f.Function, f.File
			if f.Line != 0 {
				line = strconv.FormatInt(f.Line, 10)
			}
		}
		obj = r.Objects
		if err := write(r.Name, function, file, line, r.Flat, r.Cum); err != nil {
			return err
		}
	}
	obj = nil
	if c.Rest.Rows > 0 {
		if err := write("(rest)", "", "", "", c.Rest.Flat, nil); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func appendChanges(rec []string, c *diff.Comparison, changes []diff.Change) []string {
	if changes == nil {
		return append(rec, make([]string, 7*len(c.Types))...)
	}
	for _, ch := range changes {
		pct, rate := "", ""
		if p, ok := ch.Percent(); ok {
			pct = strconv.FormatFloat(p, 'f', -1, 64)
		}
		if r, ok := c.RatePerHour(ch); ok {
			rate = strconv.FormatFloat(r, 'f', -1, 64)
		}
		rec = append(rec,
			strconv.FormatInt(ch.Base, 10),
			strconv.FormatInt(ch.Target, 10),
			strconv.FormatInt(ch.Delta(), 10),
			pct, rate,
			strconv.FormatFloat(ch.Noise, 'f', 0, 64),
			strconv.FormatBool(ch.Significant))
	}
	return rec
}

// csvText keeps a text cell from being read as a formula: spreadsheets run a
// cell that starts with =, +, -, @, tab or carriage return, and names come
// from profiles, which anyone can write. Such a cell gets a leading ' (the
// usual defence); no real function or file name starts that way.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
