package render

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
)

func renderTree(t *testing.T, tree Tree, o Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteTree(&b, tree, o); err != nil {
		t.Fatalf("WriteTree: %v", err)
	}
	return b.Bytes()
}

var treeFixtures = map[string]func() Tree{
	"tree-canary-paused":      pausedCanary,
	"tree-canary-healthy":     healthyCanary,
	"tree-bluegreen-paused":   pausedBlueGreen,
	"tree-bluegreen-released": releasedBlueGreen,
	"tree-canary-aborted":     abortedCanary,
	"tree-bare":               bareRollout,
	"tree-canary-failing":     failingCanary,
	"tree-workloadref":        workloadRefCanary,
}

func TestWriteTreeGolden(t *testing.T) {
	for name, fixture := range treeFixtures {
		t.Run(name, func(t *testing.T) {
			assertGolden(t, name, renderTree(t, fixture(), Options{}))
		})
	}
}

func TestWriteTreeColorGolden(t *testing.T) {
	got := renderTree(t, pausedCanary(), Options{Color: true})
	if !bytes.Contains(got, []byte("\x1b[")) {
		t.Fatal("coloured output has no escape codes")
	}
	assertGolden(t, "tree-canary-paused-color", got)
}

var escapeCode = regexp.MustCompile("\x1b\\[[0-9;]*m")

// Columns are measured on plain text: taking the colour codes out of coloured output must give
// exactly the plain output, spacing included.
func TestColorKeepsColumnsAligned(t *testing.T) {
	for name, fixture := range treeFixtures {
		t.Run(name, func(t *testing.T) {
			plain := renderTree(t, fixture(), Options{})
			colored := renderTree(t, fixture(), Options{Color: true})
			if got := escapeCode.ReplaceAll(colored, nil); !bytes.Equal(got, plain) {
				t.Errorf("coloured output without codes differs from plain:\n%s\n--- plain:\n%s", got, plain)
			}
		})
	}
}

func TestPlainOutputHasNoEscapeCodes(t *testing.T) {
	for name, fixture := range treeFixtures {
		if got := renderTree(t, fixture(), Options{}); bytes.ContainsRune(got, '\x1b') {
			t.Errorf("%s: plain output has escape codes", name)
		}
	}
}

// Every tree row starts its KIND column at the same place as the header's KIND.
func TestTreeColumnsLineUp(t *testing.T) {
	out := string(renderTree(t, pausedCanary(), Options{}))
	table := out[strings.Index(out, "NAME "):]
	lines := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
	kindAt := runeIndex(lines[0], "KIND")
	for _, line := range lines[1:] {
		for _, kind := range []string{"Rollout", "ReplicaSet", "Pod", "AnalysisRun"} {
			if i := runeIndex(line, "  "+kind+" "); i >= 0 && i+2 != kindAt {
				t.Errorf("%q: %s at column %d, header KIND at %d", line, kind, i+2, kindAt)
			}
		}
	}
}

func runeIndex(s, sub string) int {
	i := strings.Index(s, sub)
	if i < 0 {
		return -1
	}
	return len([]rune(s[:i]))
}

func TestWriteTreeWithoutRolloutFails(t *testing.T) {
	if err := WriteTree(&bytes.Buffer{}, Tree{Now: now}, Options{}); err == nil {
		t.Fatal("no error for a Tree without a Rollout")
	}
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestWriteErrorsAreWrapped(t *testing.T) {
	if err := WriteTree(failingWriter{}, pausedCanary(), Options{}); !errors.Is(err, errDiskFull) || !strings.Contains(err.Error(), "rollout web") {
		t.Errorf("WriteTree error %v", err)
	}
	if err := WriteList(failingWriter{}, nil, now, false, Options{}); !errors.Is(err, errDiskFull) {
		t.Errorf("WriteList error %v", err)
	}
}
