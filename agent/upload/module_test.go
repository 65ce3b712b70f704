package upload_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A service that uploads pays for the S3 client and nothing more: its
// module graph holds its own module, the agent's, this one, and the AWS
// SDK's modules (github.com/aws/...), and its binary links no other
// non-standard package. Built offline against this checkout.
func TestServiceGainsOnlyTheAgentAndTheS3Client(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a service with the go command")
	}
	uploadDir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	agentDir := filepath.Dir(uploadDir)
	const agentMod = "github.com/heapdiff/heapdiff/agent"
	const uploadMod = agentMod + "/upload"
	goLine := strings.TrimSpace(goCmd(t, uploadDir, "list", "-m", "-f", "{{.GoVersion}}"))
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/service\n\ngo "+goLine+"\n\n"+
		"require (\n\t"+agentMod+" v0.0.0-00010101000000-000000000000\n\t"+uploadMod+" v0.0.0-00010101000000-000000000000\n)\n\n"+
		"replace "+agentMod+" => "+agentDir+"\n\nreplace "+uploadMod+" => "+uploadDir+"\n")
	sum, err := os.ReadFile(filepath.Join(uploadDir, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	write("go.sum", string(sum))
	write("main.go", "package main\n\nimport _ \"github.com/heapdiff/heapdiff/agent/upload/auto\"\n\nfunc main() {}\n")

	modules := goCmd(t, dir, "list", "-m", "all")
	t.Logf("go list -m all:\n%s", modules)
	for _, line := range strings.Split(strings.TrimSpace(modules), "\n") {
		path := strings.Fields(line)[0]
		if !slices.Contains([]string{"example.com/service", agentMod, uploadMod}, path) && !strings.HasPrefix(path, "github.com/aws/") {
			t.Errorf("the service's module graph holds %s: want only the agent, the uploader and the AWS SDK", path)
		}
	}
	deps := strings.Fields(goCmd(t, dir, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "."))
	for _, p := range deps {
		if p != "example.com/service" && !strings.HasPrefix(p, agentMod) && !strings.HasPrefix(p, "github.com/aws/") {
			t.Errorf("the service depends on %s", p)
		}
		if strings.HasPrefix(p, uploadMod+"/s3test") {
			t.Errorf("the service links the test helper %s", p)
		}
	}
	if !slices.Contains(deps, "github.com/aws/aws-sdk-go-v2/service/s3") {
		t.Errorf("the service does not depend on the S3 client: %v", deps)
	}
}

// goCmd runs the go command in dir as a service's build would, but offline
// and outside any workspace, and returns its standard output.
func goCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOPROXY=off", "GOTOOLCHAIN=local")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, stderr.String())
	}
	return string(out)
}
