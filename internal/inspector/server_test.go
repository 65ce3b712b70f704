package inspector

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// newServer serves body at /json/list and returns its host:port.
func newServer(t *testing.T, body string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}
