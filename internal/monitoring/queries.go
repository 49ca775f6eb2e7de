// Package monitoring reads the PromQL of ramp's Grafana dashboard and alert rules, so that
// tests can check each metric they use against what the controller exports.
package monitoring

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// DashboardQueries are the expressions of a Grafana dashboard's panels and query variables.
func DashboardQueries(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Type       string `json:"type"`
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []string
	for _, p := range d.Panels {
		for _, t := range p.Targets {
			out = append(out, t.Expr)
		}
	}
	for _, v := range d.Templating.List {
		if v.Type == "query" {
			out = append(out, v.Definition)
		}
	}
	return out, nil
}

// RuleQueries are the expressions of a Prometheus rules file.
func RuleQueries(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f struct {
		Groups []struct {
			Rules []struct {
				Expr string `json:"expr"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []string
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			out = append(out, r.Expr)
		}
	}
	return out, nil
}

// metricName is a metric of ramp's or of controller-runtime's (its reconciles and
// workqueues); up and other Prometheus-made series are not the controller's to export.
var metricName = regexp.MustCompile(`\b(?:ramp|controller_runtime|workqueue)_[a-zA-Z0-9_]+`)

// quoted is a PromQL string (a label value), whose words are not metric names.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// MetricNames are the controller's metric names the expressions use, sorted, once each.
func MetricNames(exprs []string) []string {
	seen := map[string]bool{}
	for _, e := range exprs {
		for _, n := range metricName.FindAllString(quoted.ReplaceAllString(e, ``), -1) {
			seen[n] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Exported reports whether a scrape's metric families (name to type, from its # TYPE lines)
// include the metric: by its name, or for a histogram's or summary's _bucket, _sum and
// _count, by its family's.
func Exported(name string, families map[string]string) bool {
	if _, ok := families[name]; ok {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && (families[base] == "histogram" || families[base] == "summary") {
			return true
		}
	}
	return false
}

// Families are the metric families of a Prometheus text exposition, name to type.
func Families(exposition string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(exposition, "\n") {
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			if name, typ, ok := strings.Cut(rest, " "); ok {
				out[name] = strings.TrimSpace(typ)
			}
		}
	}
	return out
}
