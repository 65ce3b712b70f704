package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/heapdiff/heapdiff/internal/units"
	"github.com/heapdiff/heapdiff/remote"
	"github.com/heapdiff/heapdiff/report"
)

// lsOptions holds everything "heapdiff ls" was asked to do.
type lsOptions struct {
	Source string
	remoteFlags
	Format string
	Output string
}

func newLsCmd(s *streams, runF func(*lsOptions) error) *cobra.Command {
	opts := &lsOptions{remoteFlags: remoteFlags{Jobs: remote.DefaultJobs}}
	cmd := &cobra.Command{
		Use:   "ls s3://BUCKET/PREFIX/ | DIR",
		Short: "List the snapshots stored under a prefix: services, hosts, processes, counts, times, sizes",
		Long: `Ls shows what is stored under an s3:// prefix (or in a local directory tree):
for each service, how many hosts and processes and snapshots, first and last
time, total size; then each process (SERVICE/HOST/PID, as the capture
agent's uploads lay keys out) with the same figures. It downloads nothing
but the listing. Times come from snapshot names, else from the objects'
modification times. Hidden objects and reports (.md, .json, .html, ...) are
left out, as trend leaves them out of a directory.`,
		Example: `  heapdiff ls s3://snapshots/prod/
  heapdiff ls s3://snapshots/prod/api/ -f json
  heapdiff ls s3://snapshots/ --s3-endpoint http://127.0.0.1:9000`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("ls needs one s3:// prefix or directory; got %d argument(s)", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Source = args[0]
			if runF != nil {
				return runF(opts)
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			return runLs(ctx, s, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Endpoint, "s3-endpoint", "", "the store's URL, such as http://127.0.0.1:9000 (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the AWS profile's, else AWS S3)")
	f.StringVarP(&opts.Format, "format", "f", "", "output format: text or json (default: from -o's extension, else text)")
	f.StringVarP(&opts.Output, "output", "o", "", "write to this file instead of standard output")
	return cmd
}

// lsEntry is one line of the listing: a service or a process.
type lsEntry struct {
	Service   string    `json:"service"`
	Host      string    `json:"host,omitempty"`
	PID       string    `json:"pid,omitempty"`
	Folder    string    `json:"folder,omitempty"`
	Hosts     int       `json:"hosts,omitempty"`
	Processes int       `json:"processes,omitempty"`
	Snapshots int       `json:"snapshots"`
	First     time.Time `json:"first"`
	Last      time.Time `json:"last"`
	Bytes     int64     `json:"bytes"`
}

// lsListing is the JSON document, schema heapdiff.ls/v1.
type lsListing struct {
	Schema    string    `json:"schema"`
	Source    string    `json:"source"`
	Snapshots int       `json:"snapshots"`
	Bytes     int64     `json:"bytes"`
	Services  []lsEntry `json:"services"`
	Processes []lsEntry `json:"processes"`
}

func runLs(ctx context.Context, s *streams, opts *lsOptions) error {
	format, err := chooseFormat(opts.Format, opts.Output)
	if err != nil {
		return err
	}
	if format != report.FormatText && format != report.FormatJSON {
		return usageError{fmt.Errorf("ls writes text or json, not %s", format)}
	}
	objs, err := inventory(ctx, &opts.remoteFlags, opts.Source)
	if err != nil {
		return err
	}
	l := lsListing{Schema: "heapdiff.ls/v1", Source: opts.Source, Services: []lsEntry{}, Processes: []lsEntry{}}
	service := map[string]int{}
	hosts := map[string]map[string]bool{}
	for _, g := range remote.GroupByProcess(objs) {
		p := g.Process
		svc := p.Service
		if svc == "" {
			svc = "(unlaid)" // not under SERVICE/HOST/PID
		}
		e := lsEntry{Service: svc, Host: p.Host, PID: p.PID, Folder: p.Folder, Snapshots: len(g.Objects), First: g.First(), Last: g.Last(), Bytes: g.Bytes()}
		l.Processes = append(l.Processes, e)
		l.Snapshots += e.Snapshots
		l.Bytes += e.Bytes
		i, ok := service[svc]
		if !ok {
			i = len(l.Services)
			service[svc] = i
			hosts[svc] = map[string]bool{}
			l.Services = append(l.Services, lsEntry{Service: svc, First: e.First, Last: e.Last})
		}
		se := &l.Services[i]
		hosts[svc][p.Host+"\x00"+p.Folder] = true
		se.Hosts = len(hosts[svc])
		se.Processes++
		se.Snapshots += e.Snapshots
		se.Bytes += e.Bytes
		if e.First.Before(se.First) {
			se.First = e.First
		}
		if e.Last.After(se.Last) {
			se.Last = e.Last
		}
	}
	return writeOutput(s, opts.Output, func(w io.Writer) error {
		if format == report.FormatJSON {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(l)
		}
		return lsText(w, &l)
	})
}

// inventory lists an s3:// prefix, or a local directory tree, without
// downloading anything.
func inventory(ctx context.Context, rf *remoteFlags, source string) ([]remote.Object, error) {
	objs, err := listOnly(ctx, rf, source)
	if err != nil {
		return nil, err
	}
	return profileObjects(objs), nil
}

func lsText(w io.Writer, l *lsListing) error {
	t := func(v time.Time) string { return v.UTC().Format("2006-01-02 15:04:05") }
	fmt.Fprintf(w, "%s  %d service(s), %d process(es), %d snapshots, %s (times in UTC)\n\n", l.Source, len(l.Services), len(l.Processes),
		l.Snapshots, units.Bytes(l.Bytes))
	table := [][]string{{"service", "hosts", "processes", "snapshots", "first", "last", "size"}}
	for _, e := range l.Services {
		table = append(table, []string{e.Service, strconv.Itoa(e.Hosts), strconv.Itoa(e.Processes), strconv.Itoa(e.Snapshots), t(e.First), t(e.Last), units.Bytes(e.Bytes)})
	}
	writeColumns(w, table, []bool{true, false, false, false, true, true, false})
	fmt.Fprintln(w)
	table = [][]string{{"service", "host", "pid", "snapshots", "first", "last", "size", "folder"}}
	for _, e := range l.Processes {
		table = append(table, []string{e.Service, e.Host, e.PID, strconv.Itoa(e.Snapshots), t(e.First), t(e.Last), units.Bytes(e.Bytes), e.Folder})
	}
	writeColumns(w, table, []bool{true, true, false, false, true, true, false, true})
	return nil
}

// writeColumns writes a table, left-aligning the columns left says, two
// spaces apart.
func writeColumns(w io.Writer, table [][]string, left []bool) {
	widths := make([]int, len(left))
	for _, row := range table {
		for i, c := range row {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	for _, row := range table {
		line := ""
		for i, c := range row {
			pad := widths[i] - len([]rune(c))
			if i > 0 {
				line += "  "
			}
			if left[i] {
				if i < len(row)-1 {
					c += spaces(pad)
				}
				line += c
			} else {
				line += spaces(pad) + c
			}
		}
		fmt.Fprintln(w, line)
	}
}

func spaces(n int) string { return string(slices.Repeat([]byte{' '}, max(n, 0))) }
