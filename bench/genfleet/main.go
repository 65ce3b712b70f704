// Command genfleet writes a simulated fleet's snapshots (see
// heapgen.Fleet): n processes of one service, each a series of heap
// profiles, laid out as the capture agent's uploads are,
// SERVICE/HOST/PID/heap-TIME-HOST-PID-SEQ-TRIGGER.pb.gz, under a local
// directory or, with -s3, uploaded under an s3:// prefix (credentials and
// endpoint the standard AWS way).
//
//	go run ./bench/genfleet -out bench/out/fleet -processes 20 -snapshots 25
//	go run ./bench/genfleet -s3 s3://bench/fleet -processes 20 -snapshots 25
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/pprof/profile"

	"github.com/heapdiff/heapdiff/agent/snapshot"
	"github.com/heapdiff/heapdiff/agent/upload"
	"github.com/heapdiff/heapdiff/internal/heapgen"
)

func main() {
	out := flag.String("out", "", "directory to write the snapshots under")
	dest := flag.String("s3", "", "s3://bucket/prefix to upload the snapshots under instead")
	service := flag.String("service", "api", "the service's name in keys")
	processes := flag.Int("processes", 20, "how many processes")
	snapshots := flag.Int("snapshots", 25, "snapshots per process")
	filler := flag.Int("filler", 2000, "stacks of steady churn per snapshot, so profiles weigh what a service's do")
	flag.Parse()
	if (*out == "") == (*dest == "") {
		fmt.Fprintln(os.Stderr, "genfleet: give -out DIR or -s3 s3://bucket/prefix")
		os.Exit(2)
	}
	if err := run(*out, *dest, *service, heapgen.FleetConfig{Processes: *processes, Snapshots: *snapshots,
		Interval: 10 * time.Minute, Filler: *filler, Seed: 1}); err != nil {
		fmt.Fprintln(os.Stderr, "genfleet:", err)
		os.Exit(1)
	}
}

func run(out, dest, service string, cfg heapgen.FleetConfig) error {
	ctx := context.Background()
	var client *upload.Client
	var loc upload.Location
	if dest != "" {
		var err error
		if loc, err = upload.ParseURL(dest); err != nil {
			return err
		}
		if client, err = upload.Connect(ctx, upload.ClientConfig{}); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	return heapgen.Fleet(cfg, func(i, k int, at time.Time, p *profile.Profile) error {
		host, pid := heapgen.FleetProcess(i)
		name := snapshot.Name{Time: at, Host: host, PID: pid, Seq: k + 1, Trigger: "schedule"}
		buf.Reset()
		if err := p.Write(&buf); err != nil {
			return err
		}
		if client == nil {
			path := filepath.Join(out, filepath.FromSlash(upload.Key("", service, name)))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			return os.WriteFile(path, buf.Bytes(), 0o644)
		}
		key := upload.Key(loc.Key, service, name)
		_, err := client.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(key),
			Body: bytes.NewReader(buf.Bytes()), ContentType: aws.String("application/gzip")})
		if err != nil {
			return client.Explain(loc.Object(key), err)
		}
		return nil
	})
}
