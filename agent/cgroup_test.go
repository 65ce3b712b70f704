package agent

import (
	"io/fs"
	"runtime"
	"testing"
)

// The cgroup files of a few real layouts. Only the parsing is exercised here;
// TestContainerLimitOnThisMachine reads the real files.
func TestCgroupLimit(t *testing.T) {
	const (
		v2Mount  = "35 24 0:30 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n"
		v1Mounts = "32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n" +
			"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
		hybrid = v1Mounts + "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
	)
	tests := []struct {
		desc   string
		files  map[string]string
		want   uint64
		source string
	}{
		{"v2 limit on the process's cgroup", map[string]string{
			"/proc/self/cgroup":                           "0::/kubepods/pod1/ctr\n",
			"/proc/self/mountinfo":                        v2Mount,
			"/sys/fs/cgroup/kubepods/pod1/ctr/memory.max": "536870912\n",
			"/sys/fs/cgroup/kubepods/pod1/memory.max":     "max\n",
		}, 512 << 20, "/sys/fs/cgroup/kubepods/pod1/ctr/memory.max"},
		{"v2 parent limit binds", map[string]string{
			"/proc/self/cgroup":                           "0::/kubepods/pod1/ctr\n",
			"/proc/self/mountinfo":                        v2Mount,
			"/sys/fs/cgroup/kubepods/pod1/ctr/memory.max": "max\n",
			"/sys/fs/cgroup/kubepods/pod1/memory.max":     "268435456\n",
		}, 256 << 20, "/sys/fs/cgroup/kubepods/pod1/memory.max"},
		{"v2 unlimited", map[string]string{
			"/proc/self/cgroup":                    "0::/user.slice\n",
			"/proc/self/mountinfo":                 v2Mount,
			"/sys/fs/cgroup/user.slice/memory.max": "max\n",
		}, 0, "no memory limit set"},
		{"v2 in a cgroup namespace", map[string]string{
			"/proc/self/cgroup":         "0::/\n",
			"/proc/self/mountinfo":      v2Mount,
			"/sys/fs/cgroup/memory.max": "1073741824\n",
		}, 1 << 30, "/sys/fs/cgroup/memory.max"},
		{"v1 limit", map[string]string{
			"/proc/self/cgroup":    "4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n",
			"/proc/self/mountinfo": v1Mounts,
			"/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": "104857600\n",
			"/sys/fs/cgroup/memory/docker/memory.limit_in_bytes":     "9223372036854771712\n",
			"/sys/fs/cgroup/memory/memory.limit_in_bytes":            "9223372036854771712\n",
		}, 100 << 20, "/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes"},
		{"v1 unlimited", map[string]string{
			"/proc/self/cgroup":    "4:memory:/docker/abc\n",
			"/proc/self/mountinfo": v1Mounts,
			"/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": "9223372036854771712\n",
		}, 0, "no memory limit set"},
		{"v1 mount rooted at the container's cgroup", map[string]string{
			"/proc/self/cgroup":                           "4:memory:/docker/abc\n",
			"/proc/self/mountinfo":                        "35 31 0:32 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n",
			"/sys/fs/cgroup/memory/memory.limit_in_bytes": "209715200\n",
		}, 200 << 20, "/sys/fs/cgroup/memory/memory.limit_in_bytes"},
		{"hybrid host: the smaller of v1 and v2", map[string]string{
			"/proc/self/cgroup":                               "9:name=systemd:/\n4:memory:/svc\n0::/svc\n",
			"/proc/self/mountinfo":                            hybrid,
			"/sys/fs/cgroup/memory/svc/memory.limit_in_bytes": "314572800\n",
			"/sys/fs/cgroup/unified/svc/memory.max":           "419430400\n",
		}, 300 << 20, "/sys/fs/cgroup/memory/svc/memory.limit_in_bytes"},
		{"no cgroup file", map[string]string{}, 0, "no /proc/self/cgroup"},
		{"garbage", map[string]string{
			"/proc/self/cgroup":    "nonsense\n::\n",
			"/proc/self/mountinfo": "also nonsense\n",
		}, 0, "no memory limit set"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			read := func(name string) ([]byte, error) {
				if s, ok := tt.files[name]; ok {
					return []byte(s), nil
				}
				return nil, fs.ErrNotExist
			}
			got, source := cgroupLimit(read)
			if got != tt.want || source != tt.source {
				t.Errorf("cgroupLimit = %d, %q; want %d, %q", got, source, tt.want, tt.source)
			}
		})
	}
}

func TestContainerLimitOnThisMachine(t *testing.T) {
	limit, source := containerLimit()
	t.Logf("container limit %d (%s)", limit, source)
	if source == "" {
		t.Error("no source given for the container limit")
	}
	if runtime.GOOS == "linux" && limit >= cgroupUnlimited {
		t.Errorf("unlimited reported as a limit: %d", limit)
	}
}
