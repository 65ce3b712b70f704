package auto

import (
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	cfg, ok, problems := Config(env(map[string]string{"HEAPDIFF_UPLOAD": "s3://snaps/prod", "HEAPDIFF_SERVICE": "api",
		"HEAPDIFF_UPLOAD_QUEUE": "8", "HEAPDIFF_UPLOAD_TIMEOUT": "30s", "HEAPDIFF_UPLOAD_MAX_BACKOFF": "5m"}))
	if !ok || len(problems) != 0 || cfg.URL != "s3://snaps/prod" || cfg.Service != "api" || cfg.Queue != 8 ||
		cfg.Timeout != 30*time.Second || cfg.MaxBackoff != 5*time.Minute {
		t.Errorf("Config = %+v, %v, %v", cfg, ok, problems)
	}
	if _, ok, _ := Config(env(map[string]string{"HEAPDIFF_UPLOAD": " "})); ok {
		t.Error("an empty HEAPDIFF_UPLOAD turned uploads on")
	}
	_, ok, problems = Config(env(map[string]string{"HEAPDIFF_UPLOAD": "https://snaps/prod", "HEAPDIFF_UPLOAD_QUEUE": "0",
		"HEAPDIFF_UPLOAD_TIMEOUT": "soon"}))
	var all []string
	for _, p := range problems {
		all = append(all, p.Error())
	}
	text := strings.Join(all, "\n")
	if !ok || len(problems) != 3 || !strings.Contains(text, "HEAPDIFF_UPLOAD:") || !strings.Contains(text, "HEAPDIFF_UPLOAD_QUEUE=") ||
		!strings.Contains(text, "HEAPDIFF_UPLOAD_TIMEOUT=") {
		t.Errorf("want one problem per malformed variable, got:\n%s", text)
	}
	// Malformed: no uploader, and the service goes on.
	if u := Start(env(map[string]string{"HEAPDIFF_UPLOAD": "s3://", "HEAPDIFF_LOG": "off"}), nil); u != nil {
		t.Error("an uploader started from a malformed URL")
	}
}
