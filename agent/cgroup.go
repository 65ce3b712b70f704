package agent

import (
	"path"
	"slices"
	"strconv"
	"strings"
)

// cgroupUnlimited: cgroup v1 reports "no limit" as the largest page-aligned
// int64 (9223372036854771712); anything this large is no limit.
const cgroupUnlimited = 1 << 62

// cgroupLimit finds the memory limit of the cgroup this process is in, through
// read (os.ReadFile in production). It looks the process's cgroup up in
// /proc/self/cgroup rather than assuming the root, finds where each hierarchy
// is mounted in /proc/self/mountinfo, and takes the smallest limit on the way
// up to the mount root, since a parent's limit also binds. It understands
// cgroup v2 (memory.max, "max" meaning none), v1 (memory.limit_in_bytes) and
// hosts that mount both. It returns 0 when no limit is set, with a note saying
// where the limit came from or why there is none.
func cgroupLimit(read func(string) ([]byte, error)) (limit uint64, source string) {
	cg, err := read("/proc/self/cgroup")
	if err != nil {
		return 0, "no /proc/self/cgroup"
	}
	mi, err := read("/proc/self/mountinfo")
	if err != nil {
		return 0, "no /proc/self/mountinfo"
	}
	var v1Path, v2Path string
	var haveV1, haveV2 bool
	for line := range strings.Lines(string(cg)) {
		// hierarchy-ID:controller-list:cgroup-path
		parts := strings.SplitN(strings.TrimRight(line, "\n"), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			v2Path, haveV2 = parts[2], true
		} else if slices.Contains(strings.Split(parts[1], ","), "memory") {
			v1Path, haveV1 = parts[2], true
		}
	}
	source = "no memory limit set"
	consider := func(file string, v uint64) {
		if v > 0 && v < cgroupUnlimited && (limit == 0 || v < limit) {
			limit, source = v, file
		}
	}
	for line := range strings.Lines(string(mi)) {
		// id parent major:minor root mountpoint options... - fstype source superopts
		pre, post, ok := strings.Cut(strings.TrimRight(line, "\n"), " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if !ok || len(f) < 5 || len(g) < 3 {
			continue
		}
		root, mount := f[3], f[4]
		switch {
		case g[0] == "cgroup2" && haveV2:
			walkCgroup(read, root, mount, v2Path, "memory.max", consider)
		case g[0] == "cgroup" && haveV1 && slices.Contains(strings.Split(g[2], ","), "memory"):
			walkCgroup(read, root, mount, v1Path, "memory.limit_in_bytes", consider)
		}
	}
	return limit, source
}

// walkCgroup reads file in the cgroup's directory and each parent up to the
// mount point, passing each limit found to consider.
func walkCgroup(read func(string) ([]byte, error), root, mount, cgPath, file string, consider func(string, uint64)) {
	rel, ok := strings.CutPrefix(cgPath, root)
	if !ok || (root != "/" && rel != "" && rel[0] != '/') {
		rel = "" // the process's cgroup is outside this mount: use the mount's own
	}
	dir := path.Join(mount, rel)
	for {
		name := path.Join(dir, file)
		if b, err := read(name); err == nil {
			s := strings.TrimSpace(string(b))
			if v, err := strconv.ParseUint(s, 10, 64); err == nil {
				consider(name, v)
			} // "max" (v2) means no limit
		}
		if dir == mount || len(dir) <= len(mount) {
			return
		}
		dir = path.Dir(dir)
	}
}
