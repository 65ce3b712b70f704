package upload

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// DefaultRegion is the region used when the AWS configuration names none:
// the one every S3-compatible store accepts (MinIO, Ceph, versitygw; R2
// takes it for "auto").
const DefaultRegion = "us-east-1"

// PathStyleVariable forces path-style addressing (true) or virtual-hosted
// addressing (false) whatever the endpoint; see [ClientConfig.PathStyle].
const PathStyleVariable = "HEAPDIFF_S3_PATH_STYLE"

// ClientConfig says how to reach object storage beyond what the standard
// AWS configuration says. The zero value follows that configuration alone.
type ClientConfig struct {
	// Endpoint, when set, is the store's URL (http://127.0.0.1:9000,
	// https://ACCOUNT.r2.cloudflarestorage.com, https://storage.googleapis.com)
	// and overrides AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL and a profile's
	// endpoint_url.
	Endpoint string
	// PathStyle chooses the addressing: bucket in the path
	// (http://host/bucket/key) or in the host name (http://bucket.host/key).
	// nil chooses by the endpoint: path-style for any endpoint set in the
	// configuration or in Endpoint (MinIO, Ceph and versitygw need it; R2 and
	// Google Cloud Storage take both), virtual-hosted for AWS itself.
	// HEAPDIFF_S3_PATH_STYLE=true or false decides when nil.
	PathStyle *bool
	// MaxAttempts bounds the attempts of one request, retries included; 0
	// keeps the SDK's default (3). The uploader makes one attempt per try
	// and retries on its own schedule.
	MaxAttempts int
}

// Client is an S3 client and what messages say about where it points.
type Client struct {
	S3 *s3.Client
	// Endpoint is the store's URL when one is set, or "AWS S3 (REGION)".
	Endpoint string
}

// Connect builds a client the standard AWS way (github.com/aws/aws-sdk-go-v2/config):
// credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and
// AWS_SESSION_TOKEN), the shared config and credentials files and their
// profiles (AWS_PROFILE), web identity (Kubernetes pod roles, IRSA), SSO,
// ECS task roles and EC2 instance roles; region from AWS_REGION or the
// profile ([DefaultRegion] when neither names one); the endpoint from
// AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL or the profile, unless c.Endpoint
// overrides it. It sends nothing: a missing bucket or a wrong key shows at
// the first request (see [Explain]).
//
// Against an endpoint other than AWS's own, request checksums are sent and
// response checksums checked only where S3 requires them (unless
// AWS_REQUEST_CHECKSUM_CALCULATION and AWS_RESPONSE_CHECKSUM_VALIDATION say
// otherwise): stores that predate S3's default integrity checksums refuse
// requests that carry them.
func Connect(ctx context.Context, c ClientConfig) (*Client, error) {
	// The configuration's logger is the credential providers': without
	// credentials, the EC2 metadata client's "falling back to IMDSv1"
	// would print a stray line before the error that says what is wrong.
	opts := []func(*config.LoadOptions) error{config.WithLogger(logging.Nop{})}
	if c.MaxAttempts > 0 {
		opts = append(opts, config.WithRetryMaxAttempts(c.MaxAttempts))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	pathStyle := c.PathStyle
	if pathStyle == nil {
		if v, ok := os.LookupEnv(PathStyleVariable); ok && strings.TrimSpace(v) != "" {
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				return nil, fmt.Errorf("%s=%q: want true or false", PathStyleVariable, v)
			}
			pathStyle = &b
		}
	}
	if c.Endpoint != "" {
		if err := checkEndpoint(c.Endpoint); err != nil {
			return nil, err
		}
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		// The SDK's own warnings (such as "failed to discard remaining
		// HTTP response body" when a store refuses an upload and drops the
		// connection) would print as stray lines on the service's or the
		// CLI's standard error; every failure reaches the caller as an
		// error, said in one line (see Explain).
		o.Logger = logging.Nop{}
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
		}
		custom := o.BaseEndpoint != nil
		if pathStyle != nil {
			o.UsePathStyle = *pathStyle
		} else {
			o.UsePathStyle = custom
		}
		if custom && cfg.RequestChecksumCalculation == aws.RequestChecksumCalculationUnset {
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		}
		if custom && cfg.ResponseChecksumValidation == aws.ResponseChecksumValidationUnset {
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}
	})
	endpoint := "AWS S3 (" + cfg.Region + ")"
	if ep := client.Options().BaseEndpoint; ep != nil {
		endpoint = *ep
	}
	return &Client{S3: client, Endpoint: endpoint}, nil
}

// checkEndpoint refuses an endpoint that is not an http or https URL.
func checkEndpoint(ep string) error {
	scheme, rest, ok := strings.Cut(ep, "://")
	if !ok || (scheme != "http" && scheme != "https") || rest == "" || strings.ContainsAny(rest, " @") {
		return fmt.Errorf("endpoint %q: want an http or https URL such as http://127.0.0.1:9000", ep)
	}
	return nil
}

// Kinds of failure, for errors.Is on what [Client.Explain] returns.
var (
	ErrNoBucket      = errors.New("no such bucket")
	ErrNoObject      = errors.New("no such object")
	ErrAccessDenied  = errors.New("access denied")
	ErrUnreachable   = errors.New("cannot reach the store")
	ErrNoCredentials = errors.New("no AWS credentials found")
	ErrWrongRegion   = errors.New("the bucket is in another region")
)

// Error is a failed request to object storage, described in one line.
type Error struct {
	Target string // the s3:// URL the request was about
	Kind   error  // one of the Err* kinds above, or nil
	Detail string // what to do about it, or the store's own words
	Err    error  // the client's error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Target)
	b.WriteString(": ")
	if e.Kind != nil {
		b.WriteString(e.Kind.Error())
		if e.Detail != "" {
			b.WriteString(" (" + e.Detail + ")")
		}
	} else {
		b.WriteString(e.Detail)
	}
	return b.String()
}

// Unwrap returns the kind and the client's error, for errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Kind == nil {
		return []error{e.Err}
	}
	return []error{e.Kind, e.Err}
}

// Explain turns an error from a request about target into one line that
// says what went wrong in terms a user can act on: the bucket does not
// exist, access is denied (and whether the key is unknown or the secret
// wrong), the endpoint cannot be reached, no credentials were found. It
// never quotes a credential.
func (c *Client) Explain(target Location, err error) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	e := &Error{Target: target.String(), Err: err}
	var api smithy.APIError
	var resp interface{ HTTPStatusCode() int }
	status := 0
	if errors.As(err, &resp) {
		status = resp.HTTPStatusCode()
	}
	switch {
	case errors.As(err, &api):
		switch api.ErrorCode() {
		case "NoSuchBucket":
			e.Kind, e.Detail = ErrNoBucket, "at "+c.Endpoint
		case "NoSuchKey":
			e.Kind = ErrNoObject
		case "NotFound":
			e.Kind = ErrNoObject
			if target.IsPrefix() {
				e.Kind, e.Detail = ErrNoBucket, "at "+c.Endpoint
			}
		case "InvalidAccessKeyId", "XAdminUserNotFound": // the second is versitygw's
			e.Kind, e.Detail = ErrAccessDenied, "the store does not know the access key; check AWS_ACCESS_KEY_ID or the profile's"
		case "SignatureDoesNotMatch":
			e.Kind, e.Detail = ErrAccessDenied, "the secret key does not match the access key; check AWS_SECRET_ACCESS_KEY or the profile's"
		case "AccessDenied", "Forbidden", "AllAccessDisabled", "InvalidToken", "ExpiredToken":
			e.Kind, e.Detail = ErrAccessDenied, "the credentials may not do this here; see the IAM policy in README.md's Fleet section"
		case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
			e.Kind, e.Detail = ErrWrongRegion, "set AWS_REGION to the bucket's region"
		case "MovedPermanently":
			e.Kind, e.Detail = ErrWrongRegion, "set AWS_REGION to the bucket's region"
		default:
			e.Detail = oneLine(api.ErrorCode() + ": " + api.ErrorMessage())
			if status == http.StatusForbidden {
				e.Kind, e.Detail = ErrAccessDenied, oneLine(api.ErrorCode()+": "+api.ErrorMessage())
			}
		}
	case errors.Is(err, context.DeadlineExceeded):
		e.Kind, e.Detail = ErrUnreachable, c.Endpoint+": timed out"
	case isNetwork(err):
		e.Kind, e.Detail = ErrUnreachable, c.Endpoint+": "+networkCause(err)
	case strings.Contains(err.Error(), "credentials"):
		e.Kind, e.Detail = ErrNoCredentials, "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run where an instance or pod role applies"
	default:
		e.Detail = oneLine(err.Error())
	}
	return e
}

// isNetwork reports whether err is a failure to send the request at all.
func isNetwork(err error) bool {
	var send *smithyhttp.RequestSendError
	var op *net.OpError
	var dns *net.DNSError
	return errors.As(err, &send) || errors.As(err, &op) || errors.As(err, &dns)
}

// networkCause says in a few words why a request could not be sent.
func networkCause(err error) string {
	var dns *net.DNSError
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &dns):
		return "no such host " + dns.Name
	case errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed):
		// Reached, then dropped: some stores (versitygw among them) refuse
		// an upload by closing the connection while its body is still
		// being sent, so the refusal's reason never arrives.
		return "the connection was dropped during the request; a store may drop an upload it refuses, so check the credentials and the bucket too"
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return oneLine(op.Err.Error())
	}
	return oneLine(err.Error())
}

// oneLine folds a message onto one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
