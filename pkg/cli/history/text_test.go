package history

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	eventsv1 "k8s.io/api/events/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

func TestTextGolden(t *testing.T) {
	for _, c := range []struct {
		name  string
		story func(*testing.T) (*v1alpha1.Rollout, []eventsv1.Event)
		color bool
	}{
		{"canary-release", canaryRelease, false},
		{"abort", abort, false},
		{"abort-color", abort, true},
		{"other-rollouts", otherRollouts, false},
		{"repeated", repeated, false},
		{"status-only", func(*testing.T) (*v1alpha1.Rollout, []eventsv1.Event) { return statusOnly(), nil }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ro, events := c.story(t)
			var out bytes.Buffer
			if err := WriteText(&out, Build(ro, events), Options{Color: c.color, Now: now}); err != nil {
				t.Fatal(err)
			}
			assertGolden(t, c.name, out.Bytes())
		})
	}
}

var colourCode = regexp.MustCompile("\x1b\\[[0-9;]*m")

func TestTextAlignsTheSameWithColour(t *testing.T) {
	ro, events := abort(t)
	entries := Build(ro, events)
	var plain, coloured bytes.Buffer
	if err := WriteText(&plain, entries, Options{Now: now}); err != nil {
		t.Fatal(err)
	}
	if err := WriteText(&coloured, entries, Options{Color: true, Now: now}); err != nil {
		t.Fatal(err)
	}
	if plain.String() == coloured.String() {
		t.Fatal("colour output has no colour")
	}
	if got := colourCode.ReplaceAllString(coloured.String(), ""); got != plain.String() {
		t.Errorf("without its colour codes the coloured table differs from the plain one:\n%s\nplain:\n%s", got, plain.String())
	}
	if !strings.Contains(coloured.String(), "\x1b[31m"+v1alpha1.ReasonAborted+"\x1b[0m") {
		t.Errorf("the reason of a Warning is not red:\n%q", coloured.String())
	}
	if strings.Contains(coloured.String(), "\x1b[31m"+v1alpha1.ReasonRevisionDetected) {
		t.Errorf("the reason of a Normal Event is red:\n%q", coloured.String())
	}
}

func TestTextColumnsLineUp(t *testing.T) {
	ro, events := canaryRelease(t)
	var out bytes.Buffer
	if err := WriteText(&out, Build(ro, events), Options{Now: now}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	header := []rune(lines[0])
	var starts []int // where each column after the first begins, in runes
	for i := 1; i < len(header); i++ {
		if header[i-1] == ' ' && header[i] != ' ' {
			starts = append(starts, i)
		}
	}
	if len(starts) != 6 {
		t.Fatalf("header has %d columns after TIME, want 6: %q", len(starts), lines[0])
	}
	for _, l := range lines[1:] {
		r := []rune(l)
		for _, s := range starts {
			if len(r) <= s || r[s-1] != ' ' || r[s] == ' ' {
				t.Errorf("a column does not start at %d: %q", s, l)
			}
		}
	}
}

func TestTextCountsRepeats(t *testing.T) {
	var out bytes.Buffer
	entries := []Entry{{Reason: v1alpha1.ReasonTrafficInvalid, Message: "Ingress\nmissing", Type: "Warning", Count: 12}}
	if err := WriteText(&out, entries, Options{Now: now}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), "Ingress missing (×12)\n") {
		t.Errorf("want the message on one line with its count:\n%s", out.String())
	}
}

func TestTextDatesOnlyWhenNotAllToday(t *testing.T) {
	today := []Entry{{Time: at("00:00:01")}, {Time: at("15:29:59")}}
	var out bytes.Buffer
	if err := WriteText(&out, today, Options{Now: now}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "2025-") || !strings.Contains(out.String(), "00:00:01") {
		t.Errorf("entries of today want the time of day only:\n%s", out.String())
	}
	out.Reset()
	yesterday := append(today, Entry{Time: at("23:59:59").AddDate(0, 0, -1)})
	if err := WriteText(&out, yesterday, Options{Now: now}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "2025-03-13 23:59:59") || !strings.Contains(out.String(), "2025-03-14 15:29:59") {
		t.Errorf("with an entry of another day every time wants its date:\n%s", out.String())
	}
}

func TestTextWithoutEntriesSaysWhy(t *testing.T) {
	var out bytes.Buffer
	if err := WriteText(&out, nil, Options{Now: now}); err != nil {
		t.Fatal(err)
	}
	if out.String() != NoTimeline+"\n" {
		t.Errorf("got %q", out.String())
	}
}
