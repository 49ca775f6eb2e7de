package analysis

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// FuzzSubstitute feeds argument substitution arbitrary metrics (JSON, as users write them)
// and an argument value: no panic; the metric given is left as it was; without an error no
// placeholder naming the argument is left, and a placeholder naming no argument is an error.
func FuzzSubstitute(f *testing.F) {
	f.Add([]byte(`{"name":"m","successCondition":"result < {{args.limit}}","provider":{"prometheus":{"address":"http://{{ args.host }}:9090","query":"rate(x{app=\"{{args.app}}\"}[5m])"}}}`), "web")
	f.Add([]byte(`{"name":"m","provider":{"web":{"url":"https://x/{{args.app}}","body":"{\"a\":\"{{args.app}}\"}","jsonPath":"{$.{{args.app}}}","headers":[{"key":"{{args.app}}","value":"{{args.app}}"}]}}}`), `"quoted" {{args.app}}`)
	f.Add([]byte(`{"name":"m","count":"{{args.n}}","interval":"{{args.app}}s","provider":{"job":{"spec":{"template":{"spec":{"containers":[{"name":"c","env":[{"name":"X","value":"{{args.app}}"}]}]}}}}}}`), "{{")
	f.Add([]byte(`{"name":"m","provider":{"prometheus":{"query":"{{args.}} {{args.app}} {{ args.app}} {{args.app }} {{{args.app}}}"}}}`), "}}")
	f.Fuzz(func(t *testing.T, metricJSON []byte, value string) {
		m := v1alpha1.Metric{}
		if json.Unmarshal(metricJSON, &m) != nil {
			return
		}
		before, _ := json.Marshal(m)
		args := map[string]string{"app": value, "limit": "1", "n": "3", "host": "prometheus"}
		out, err := Substitute(m, args)
		if after, _ := json.Marshal(m); string(after) != string(before) {
			t.Fatalf("Substitute changed the metric it was given")
		}
		if err != nil {
			if !strings.Contains(err.Error(), "is not an argument of the run") {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		if strings.Contains(value, "{{") {
			return // the value itself may look like a placeholder
		}
		data, _ := json.Marshal(out)
		if loc := placeholder.FindStringSubmatchIndex(string(data)); loc != nil {
			name := string(data)[loc[2]:loc[3]]
			if _, known := args[name]; known || !placeholder.MatchString(string(before)) {
				t.Fatalf("placeholder %q left after substitution: %s", string(data)[loc[0]:loc[1]], data)
			}
		}
	})
}
