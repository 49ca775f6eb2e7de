package history

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestJSONGolden(t *testing.T) {
	ro, events := repeated(t)
	entries := Build(ro, events)
	var out bytes.Buffer
	if err := WriteJSON(&out, entries); err != nil {
		t.Fatal(err)
	}
	assertGolden(t, "repeated-json", out.Bytes())

	var back []Entry
	if err := json.Unmarshal(out.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != len(entries) || back[0].Reason != entries[0].Reason {
		t.Errorf("the JSON does not read back as the entries: %+v", back)
	}
}

func TestJSONOfNothingIsAnEmptyArray(t *testing.T) {
	for _, entries := range [][]Entry{nil, {}} {
		var out bytes.Buffer
		if err := WriteJSON(&out, entries); err != nil {
			t.Fatal(err)
		}
		if out.String() != "[]\n" {
			t.Errorf("WriteJSON(%#v) = %q, want []", entries, out.String())
		}
	}
}
