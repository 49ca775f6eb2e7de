//go:build integration

// Package prometheus holds ramp's alerting rules; its test checks them with promtool, which
// Debian's prometheus package ships beside the server the analysis tests run.
package prometheus

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func promtool(t *testing.T) string {
	t.Helper()
	server := os.Getenv("RAMP_PROMETHEUS")
	if server == "" {
		t.Fatal("RAMP_PROMETHEUS is not set: run with make test-integration (hack/prometheus.sh provides it)")
	}
	bin := filepath.Join(filepath.Dir(server), "promtool")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("no promtool beside %s: %v", server, err)
	}
	return bin
}

// The rules are valid, and each alert fires on the series that should fire it and on no
// other (rules_test.yaml).
func TestAlertRules(t *testing.T) {
	bin := promtool(t)
	for _, args := range [][]string{{"check", "rules", "rules.yaml"}, {"test", "rules", "rules_test.yaml"}} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "SUCCESS") {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
