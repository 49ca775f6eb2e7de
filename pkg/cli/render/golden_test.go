package render

import (
	"testing"

	"github.com/ramp-dev/ramp/pkg/testenv/golden"
)

// assertGolden compares got with testdata/name.golden, or rewrites the file with -update.
func assertGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Assert(t, name+".golden", got)
}
