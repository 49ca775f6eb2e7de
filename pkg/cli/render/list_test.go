package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

func listFixture() []v1alpha1.Rollout {
	return []v1alpha1.Rollout{*pausedCanary().Rollout, *pausedBlueGreen().Rollout, *healthyCanary().Rollout}
}

func TestWriteListGolden(t *testing.T) {
	for name, all := range map[string]bool{"list-all-namespaces": true, "list": false} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteList(&b, listFixture(), now, all, Options{}); err != nil {
				t.Fatal(err)
			}
			assertGolden(t, name, b.Bytes())
		})
	}
}

func TestWriteListSortsByNamespaceThenName(t *testing.T) {
	var b bytes.Buffer
	if err := WriteList(&b, listFixture(), now, true, Options{}); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n")[1:] {
		f := strings.Fields(line)
		names = append(names, f[0]+"/"+f[1])
	}
	if got, want := strings.Join(names, " "), "payments/checkout shop/api shop/web"; got != want {
		t.Errorf("order %s, want %s", got, want)
	}
}

func TestWriteListEmptyIsJustTheHeader(t *testing.T) {
	var b bytes.Buffer
	if err := WriteList(&b, nil, now, false, Options{}); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "NAME   STRATEGY   STATUS   STEP   WEIGHT   AVAILABLE   AGE\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
