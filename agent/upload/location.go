package upload

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/heapdiff/heapdiff/agent/snapshot"
)

// Scheme is the URL scheme of object storage locations: s3://bucket/key.
const Scheme = "s3://"

// A Location is a place in object storage: a bucket and a key, which names
// one object or, ending in "/" (or empty), a prefix under which many sit.
type Location struct {
	Bucket string
	Key    string
}

// IsURL reports whether s names object storage (s3://...) rather than a
// local file.
func IsURL(s string) bool { return strings.HasPrefix(strings.ToLower(s), Scheme) }

// ParseURL reads s3://bucket/key. The key may be empty (the whole bucket)
// and keeps any trailing "/", which marks a prefix. A query, a fragment,
// credentials or a port in the URL are refused: the endpoint and the
// credentials come from the AWS configuration (see [Connect]).
func ParseURL(raw string) (Location, error) {
	if !IsURL(raw) {
		return Location{}, fmt.Errorf("%q is not an s3://bucket/key URL", raw)
	}
	rest := raw[len(Scheme):]
	bucket, key, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return Location{}, fmt.Errorf("%s: no bucket; want s3://bucket/key", raw)
	}
	for _, c := range bucket {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return Location{}, fmt.Errorf("%s: bucket name %q holds %q; want letters, digits, '.', '-' or '_' (the endpoint comes from AWS_ENDPOINT_URL_S3 or --s3-endpoint, not the URL)",
				raw, bucket, c)
		}
	}
	if strings.ContainsAny(key, "?#") {
		return Location{}, fmt.Errorf("%s: a key with '?' or '#' is ambiguous in a URL; name a prefix above it", raw)
	}
	if strings.Contains(key, "//") {
		return Location{}, fmt.Errorf("%s: a key with an empty path element (//) is not one heapdiff writes", raw)
	}
	return Location{Bucket: bucket, Key: key}, nil
}

// String returns the location as an s3:// URL.
func (l Location) String() string { return Scheme + l.Bucket + "/" + l.Key }

// IsPrefix reports whether the location names a prefix (its key is empty or
// ends in "/") rather than one object.
func (l Location) IsPrefix() bool { return l.Key == "" || strings.HasSuffix(l.Key, "/") }

// Dir returns the location as a prefix: its key with a trailing "/".
func (l Location) Dir() Location {
	if l.IsPrefix() {
		return l
	}
	return Location{Bucket: l.Bucket, Key: l.Key + "/"}
}

// Object returns the location of key in the same bucket.
func (l Location) Object(key string) Location { return Location{Bucket: l.Bucket, Key: key} }

// Key returns the object key of a snapshot uploaded under prefix:
//
//	PREFIX/SERVICE/HOST/PID/FILE
//
// for example fleet/api/web-7f9c/1/heap-20261126T154210Z-web-7f9c-1-0007-signal.pb.gz.
// Keys group by service, then host, then process; within a process the
// file names (which start with the time, in UTC) sort by time. SERVICE,
// HOST and FILE are cleaned as snapshot file names are ([snapshot.Clean]),
// so every key is made of safe path elements. A pulled snapshot (PID 0,
// from "heapdiff capture") sits under PID 0 of its target.
func Key(prefix, service string, n snapshot.Name) string {
	parts := []string{snapshot.Clean(service, "service"), snapshot.Clean(n.Host, "host"), strconv.Itoa(n.PID), n.String()}
	if p := strings.Trim(prefix, "/"); p != "" {
		parts = append([]string{p}, parts...)
	}
	return strings.Join(parts, "/")
}

// KeyFields are what a key laid out by [Key] says.
type KeyFields struct {
	// Prefix is what comes before SERVICE, without a trailing "/".
	Prefix  string
	Service string
	// Name is the snapshot's file name parsed: time, host, pid, seq,
	// trigger. Its host and pid are those of the key's HOST and PID.
	Name snapshot.Name
}

// ParseKey reads a key laid out by [Key]. It reports false for any other
// key: one too short, a file name that is not a snapshot's, or HOST and PID
// elements that disagree with the file name.
func ParseKey(key string) (KeyFields, bool) {
	parts := strings.Split(key, "/")
	k := len(parts)
	if k < 4 {
		return KeyFields{}, false
	}
	n, ok := snapshot.ParseName(parts[k-1])
	if !ok || parts[k-3] != n.Host || parts[k-2] != strconv.Itoa(n.PID) || parts[k-4] == "" {
		return KeyFields{}, false
	}
	return KeyFields{Prefix: strings.Join(parts[:k-4], "/"), Service: parts[k-4], Name: n}, true
}

// escapeValue makes a metadata value safe for an HTTP header: printable
// ASCII is kept, anything else is percent-encoded.
func escapeValue(v string) string {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c > 0x7e || c == '%' {
			return url.PathEscape(v)
		}
	}
	return v
}
