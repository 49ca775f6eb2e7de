//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"testing"

	"github.com/ramp-dev/ramp/e2e/framework"
)

var (
	cluster       *framework.Cluster
	controllerBin string
	pluginBin     string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "ramp-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if cluster, controllerBin, err = framework.Prepare(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if pluginBin, err = framework.BuildPlugin(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}
