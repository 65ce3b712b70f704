//go:build linux

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	pprofile "github.com/google/pprof/profile"

	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/agent/upload"
	"github.com/heapdiff/heapdiff/agent/upload/s3test"
	"github.com/heapdiff/heapdiff/internal/heapgen"
)

// fleetMemoryBound is a generous bound on the peak memory of "heapdiff
// fleet" and "trend" over the fleet below: a few profiles and trends at a
// time, whatever the number of snapshots (bench/fleet.sh measures 500).
const fleetMemoryBound = 96 << 20

// The fleet view and a trend over a prefix of 120 snapshots of 12
// processes, each snapshot with 2,000 stacks, stay within a bound set by
// sites, not by snapshots: each process's trend is summarized and dropped,
// and each profile is reduced as it is read. The real CLI, a real store.
func TestFleetStaysWithinItsMemoryBound(t *testing.T) {
	if raceDetector {
		t.Skip("peak memory means nothing under -race; .ci/run runs this without it")
	}
	if testing.Short() {
		t.Skip("uploads 120 snapshots")
	}
	srv := s3test.Start(t)
	srv.Bucket("snaps")
	bin := heapdiffBinary(t)
	env := append(os.Environ(), srv.Env()...)
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	client, err := upload.Connect(context.Background(), upload.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	cfg := heapgen.FleetConfig{Processes: 12, Snapshots: 10, Interval: 10 * time.Minute, Filler: 2000, Seed: 1}
	err = heapgen.Fleet(cfg, func(i, k int, at time.Time, p *pprofile.Profile) error {
		host, pid := heapgen.FleetProcess(i)
		buf.Reset()
		if err := p.Write(&buf); err != nil {
			return err
		}
		key := upload.Key("fleet", "api", snapshot.Name{Time: at, Host: host, PID: pid, Seq: k + 1, Trigger: "schedule"})
		_, err := client.S3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("snaps"), Key: aws.String(key), Body: bytes.NewReader(buf.Bytes())})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	for _, args := range [][]string{
		{"fleet", "s3://snaps/fleet/api/", "-f", "json"},
		{"fleet", "s3://snaps/fleet/api/"}, // from the cache this time
		{"trend", "s3://snaps/fleet/api/web-00/1000/", "-f", "json"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		cmd := exec.CommandContext(ctx, bin, append(args, "--cache-dir", cache)...)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		out, err := cmd.Output()
		cancel()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr.String())
		}
		if !bytes.Contains(out, []byte(heapgen.FleetCodeLeak)) {
			t.Errorf("%v: the output does not name the planted leak", args)
		}
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024
		t.Logf("%v: %s, peak %d MiB", args, time.Since(start).Round(time.Millisecond), rss>>20)
		if rss > fleetMemoryBound {
			t.Errorf("%v: peak memory %d MiB, over the bound of %d MiB", args, rss>>20, fleetMemoryBound>>20)
		}
	}
}
