// Package upload ships heap snapshots to object storage through S3's API:
// AWS S3 and the stores compatible with it (MinIO, Cloudflare R2, Ceph,
// Google Cloud Storage's interoperability mode, versitygw). A service's
// snapshots then outlive its process, and "heapdiff ls", "trend", "check",
// "compare" and "fleet" read them from there with s3:// URLs.
//
// It is a module of its own, so a service that does not upload links
// nothing of it: the capture agent (github.com/heapdiff/heapdiff/agent)
// stays standard-library only, and this module adds the AWS SDK for Go v2
// and nothing else.
//
// A service that starts the agent from the environment imports
// github.com/heapdiff/heapdiff/agent/upload/auto instead of agent/auto and
// sets HEAPDIFF_UPLOAD=s3://bucket/prefix. A service that starts the agent
// itself attaches an [Uploader]:
//
//	a, err := agent.Start(agent.Dir("/var/lib/api/heap"))
//	...
//	u, err := upload.New(upload.Config{URL: "s3://snapshots/prod", Service: "api"})
//	...
//	u.Attach(a)
//	defer u.Close(ctx) // after a.Close: uploads what is queued
//
// # Key layout
//
// Each snapshot, once the agent has written it atomically on disk, is
// uploaded as PREFIX/SERVICE/HOST/PID/FILE, FILE being its file name
// (heap-TIME-HOST-PID-SEQ-TRIGGER.pb.gz, TIME in UTC): keys group by service,
// host and process, and sort by time within a process. See [Key].
//
// # Credentials and endpoint
//
// Everything comes the standard AWS way (see [Connect]): AWS_* variables,
// the shared config and credentials files and their profiles, web identity
// and instance or task roles. A compatible store is named by
// AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL) and reached path-style.
package upload
