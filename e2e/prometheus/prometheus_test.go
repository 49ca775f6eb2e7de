package prometheus

import (
	"os"
	"strings"
	"testing"
)

func TestBinaryUnset(t *testing.T) {
	t.Setenv(EnvBinary, "")
	_, err := Binary()
	if err == nil || !strings.Contains(err.Error(), "RAMP_PROMETHEUS is unset") || !strings.Contains(err.Error(), "hack/prometheus.sh") {
		t.Fatalf("Binary() error = %v, want one that says RAMP_PROMETHEUS is unset and how to set it", err)
	}
}

func TestBinaryNotExecutable(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvBinary, dir)
	if _, err := Binary(); err == nil {
		t.Fatal("a directory was accepted as the binary")
	}
	f := dir + "/prometheus"
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvBinary, f)
	if _, err := Binary(); err == nil || !strings.Contains(err.Error(), "not an executable") {
		t.Fatalf("Binary() error = %v, want not an executable", err)
	}
	t.Setenv(EnvBinary, dir+"/missing")
	if _, err := Binary(); err == nil {
		t.Fatal("a missing file was accepted as the binary")
	}
}

func TestConfig(t *testing.T) {
	got := string(config([]string{"127.0.0.1:1", "127.0.0.1:2"}))
	want := `global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: test
    static_configs:
      - targets: ["127.0.0.1:1", "127.0.0.1:2"]
`
	if got != want {
		t.Fatalf("config:\n%s\nwant:\n%s", got, want)
	}
}
