package agent

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/heapdiff/heapdiff/agent/snapshot"
)

// Handler returns an http.Handler for an admin mux:
//
//	GET  /                 JSON summary: memory, limit, growth and R², captures, gauges, uptime ([Stats])
//	GET  /snapshots        JSON list of the snapshot files in the directory, oldest first
//	GET  /snapshots/{file} download one snapshot
//	POST /capture          take a snapshot now (limited by [MinInterval]); answers its file name
//
// Mount it under a prefix with http.StripPrefix:
//
//	mux.Handle("/debug/heapdiff/", http.StripPrefix("/debug/heapdiff", a.Handler()))
//
// Heap profiles reveal a program's internals: serve this on an internal
// listener (such as 127.0.0.1 or an admin port), never the public one, and set
// [Token] where others can reach it.
func (a *Agent) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, a.Stats())
	})
	mux.HandleFunc("GET /snapshots", a.serveList)
	mux.HandleFunc("GET /snapshots/{file}", a.serveFile)
	mux.HandleFunc("POST /capture", a.serveCapture)
	if a.cfg.token == "" {
		return mux
	}
	want := []byte("Bearer " + a.cfg.token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="heapdiff"`)
			writeJSON(w, http.StatusUnauthorized, errorBody("missing or wrong bearer token"))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// snapshotEntry is one file in the GET /snapshots answer.
type snapshotEntry struct {
	File     string `json:"file"`
	Bytes    int64  `json:"bytes"`
	Time     string `json:"time"`
	Host     string `json:"host"`
	PID      int    `json:"pid"`
	Trigger  string `json:"trigger"`
	Baseline bool   `json:"baseline,omitempty"`
}

func (a *Agent) serveList(w http.ResponseWriter, r *http.Request) {
	if err := a.dirProblem(); err != nil { // files there may be anyone's
		writeJSON(w, http.StatusServiceUnavailable, errorBody(err.Error()))
		return
	}
	files, err := snapshot.List(a.cfg.dir)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, errorBody(err.Error()))
		return
	}
	baseline := a.Stats().Baseline
	list := make([]snapshotEntry, 0, len(files))
	for _, f := range files {
		list = append(list, snapshotEntry{File: f.File, Bytes: f.Size, Time: f.Time.Format("2006-01-02T15:04:05Z"),
			Host: f.Host, PID: f.PID, Trigger: f.Trigger, Baseline: f.File == baseline})
	}
	writeJSON(w, http.StatusOK, list)
}

func (a *Agent) serveFile(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	// Only names the agent writes, which have no path separators, and through
	// os.Root, which refuses to leave the directory whatever the name.
	if _, ok := snapshot.ParseName(name); !ok {
		writeJSON(w, http.StatusNotFound, errorBody("no such snapshot"))
		return
	}
	if err := a.dirProblem(); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, errorBody(err.Error()))
		return
	}
	root, err := os.OpenRoot(a.cfg.dir)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, errorBody("snapshot directory unavailable"))
		return
	}
	defer root.Close()
	f, err := root.Open(name)
	if err != nil {
		writeJSON(w, http.StatusNotFound, errorBody("no such snapshot"))
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		writeJSON(w, http.StatusNotFound, errorBody("no such snapshot"))
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	http.ServeContent(w, r, name, info.ModTime(), f)
}

func (a *Agent) serveCapture(w http.ResponseWriter, r *http.Request) {
	reason := strings.TrimSpace(r.URL.Query().Get("reason"))
	path, err := a.capture("http", reason, true)
	switch {
	case errors.Is(err, ErrTooSoon):
		w.Header().Set("Retry-After", retryAfter(a.cfg.minInterval))
		writeJSON(w, http.StatusTooManyRequests, errorBody(err.Error()))
	case errors.Is(err, ErrClosed):
		writeJSON(w, http.StatusServiceUnavailable, errorBody(err.Error()))
	case err != nil:
		writeJSON(w, http.StatusInternalServerError, errorBody(err.Error()))
	default:
		writeJSON(w, http.StatusOK, map[string]string{"file": baseName(path)})
	}
}

// retryAfter is a Retry-After value: whole seconds, at least 1.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(int(math.Ceil(d.Seconds())), 1))
}

func errorBody(msg string) map[string]string { return map[string]string{"error": msg} }

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
