//go:build scale

// Package scale measures ramp at scale on the local control plane, with the controller as a
// real process: `make bench-scale`. It reports figures and asserts nothing about time.
package scale

import (
	"fmt"
	"os"
	"testing"

	"github.com/ramp-dev/ramp/e2e/framework"
)

var (
	cluster       *framework.Cluster
	controllerBin string
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "ramp-scale-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if cluster, controllerBin, err = framework.Prepare(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}
