package web

import (
	"testing"

	"github.com/ramp-dev/ramp/pkg/analysis"
)

// FuzzPick: whatever a tenant's endpoint answers and whatever jsonPath they write, picking a
// value never panics and never records more than the status may hold.
func FuzzPick(f *testing.F) {
	for _, seed := range []struct{ body, path string }{
		{`{"data":{"ok":true}}`, "{.data.ok}"},
		{`{"items":[{"v":1},{"v":"2"}]}`, "{.items[*].v}"},
		{`[1,2,3]`, "{[5]}"},
		{`{"a":1e400}`, ".a"},
		{`{"a":[{"code":200}]}`, `{.a[?(@.code==200)]}`},
		{`"x"`, "{range .[*]}{end}"},
		{`{}`, "{.a[-1:]}"},
		{``, ""},
		{`{"a":"` + "\xff" + `"}`, "{.a}"},
	} {
		f.Add(seed.body, seed.path)
	}
	f.Fuzz(func(t *testing.T, body, path string) {
		res := pick([]byte(body), path)
		if len(res.Text) > analysis.MaxStoredBytes {
			t.Fatalf("text of %d bytes, more than %d", len(res.Text), analysis.MaxStoredBytes)
		}
	})
}
