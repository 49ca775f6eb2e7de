package analysis

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// Redacted is what Redact writes in place of a secret.
const Redacted = "*****"

// ResolveArgs merges a template's args with a run's and gives each its value. A run's arg
// overrides the template's arg of the same name (its value or valueFrom replaces the
// template's default); a run's arg the template does not declare is kept. A valueFrom is
// resolved with lookup. secretValues are the values that came from a secretKeyRef, for
// Redact. An arg with neither value nor valueFrom is an error.
func ResolveArgs(templateArgs, runArgs []v1alpha1.Argument, lookup func(v1alpha1.ValueFrom) (string, error)) (args map[string]string, secretValues []string, err error) {
	merged := make([]v1alpha1.Argument, 0, len(templateArgs)+len(runArgs))
	index := map[string]int{}
	for _, list := range [][]v1alpha1.Argument{templateArgs, runArgs} {
		for _, a := range list {
			if a.Value != nil && a.ValueFrom != nil {
				return nil, nil, fmt.Errorf("argument %s sets both value and valueFrom: keep one", a.Name)
			}
			if i, ok := index[a.Name]; ok {
				if a.Value == nil && a.ValueFrom == nil {
					continue // a run's arg without a value keeps the template's default
				}
				merged[i] = a
				continue
			}
			index[a.Name] = len(merged)
			merged = append(merged, a)
		}
	}
	args = make(map[string]string, len(merged))
	for _, a := range merged {
		switch {
		case a.Value != nil:
			args[a.Name] = *a.Value
		case a.ValueFrom != nil:
			if lookup == nil {
				return nil, nil, fmt.Errorf("argument %s: its valueFrom cannot be resolved here", a.Name)
			}
			v, err := lookup(*a.ValueFrom)
			if err != nil {
				return nil, nil, fmt.Errorf("argument %s: %w", a.Name, err)
			}
			args[a.Name] = v
			if a.ValueFrom.SecretKeyRef != nil && v != "" && !slices.Contains(secretValues, v) {
				secretValues = append(secretValues, v)
			}
		default:
			return nil, nil, fmt.Errorf("argument %s has no value: give it one in the Rollout's analysis args", a.Name)
		}
	}
	return args, secretValues, nil
}

// placeholder is {{args.name}}, with or without spaces inside the braces.
var placeholder = regexp.MustCompile(`\{\{\s*args\.([^{}\s]+)\s*\}\}`)

// substituter replaces placeholders and remembers the first unknown arg.
type substituter struct {
	metric string
	args   map[string]string
	err    error
}

func (s *substituter) missing(name string) {
	if s.err != nil {
		return
	}
	names := make([]string, 0, len(s.args))
	for n := range s.args {
		names = append(names, n)
	}
	sort.Strings(names)
	has := "it has none"
	if len(names) > 0 {
		has = "it has: " + strings.Join(names, ", ")
	}
	s.err = fmt.Errorf("metric %s: {{args.%s}} is not an argument of the run (%s)", s.metric, name, has)
}

// str replaces the placeholders in a string with the args' values, escaped by escape.
func (s *substituter) str(in string, escape func(string) string) string {
	if !strings.Contains(in, "{{") {
		return in
	}
	return placeholder.ReplaceAllStringFunc(in, func(m string) string {
		name := placeholder.FindStringSubmatch(m)[1]
		v, ok := s.args[name]
		if !ok {
			s.missing(name)
			return m
		}
		if escape != nil {
			return escape(v)
		}
		return v
	})
}

func (s *substituter) field(p *string) { *p = s.str(*p, nil) }

func (s *substituter) headers(hs []v1alpha1.WebMetricHeader) {
	for i := range hs {
		s.field(&hs[i].Key)
		s.field(&hs[i].Value)
	}
}

func (s *substituter) intOrString(v *intstr.IntOrString) {
	if v != nil && v.Type == intstr.String {
		s.field(&v.StrVal)
	}
}

// jsonEscape is a value as the inside of a JSON string.
func jsonEscape(v string) string {
	b, _ := json.Marshal(v) // a string always marshals
	return string(b[1 : len(b)-1])
}

// Substitute replaces {{args.name}} in every string of a metric: its provider (Prometheus
// address, query, headers, authentication and range; web url, headers, body and jsonPath;
// anything in a job's metadata and spec), its conditions, its interval and initialDelay,
// and its count and limits when they are strings. The metric given is left as it was. A
// placeholder naming no arg is an error.
func Substitute(metric v1alpha1.Metric, args map[string]string) (v1alpha1.Metric, error) {
	out := *metric.DeepCopy()
	s := &substituter{metric: metric.Name, args: args}

	s.field(&out.SuccessCondition)
	s.field(&out.FailureCondition)
	interval, delay := string(out.Interval), string(out.InitialDelay)
	s.field(&interval)
	s.field(&delay)
	out.Interval, out.InitialDelay = v1alpha1.DurationString(interval), v1alpha1.DurationString(delay)
	s.intOrString(out.Count)
	s.intOrString(out.FailureLimit)
	s.intOrString(out.InconclusiveLimit)
	s.intOrString(out.ConsecutiveErrorLimit)

	if p := out.Provider.Prometheus; p != nil {
		s.field(&p.Address)
		s.field(&p.Query)
		s.headers(p.Headers)
		if a := p.Authentication; a != nil {
			s.field(&a.BearerToken)
			if a.Basic != nil {
				s.field(&a.Basic.Username)
				s.field(&a.Basic.Password)
			}
		}
		if r := p.RangeQuery; r != nil {
			s.field(&r.Start)
			s.field(&r.End)
			s.field(&r.Step)
		}
	}
	if w := out.Provider.Web; w != nil {
		s.field(&w.URL)
		s.headers(w.Headers)
		s.field(&w.Body)
		s.field(&w.JSONPath)
	}
	if j := out.Provider.Job; j != nil {
		raw, err := json.Marshal(j)
		if err != nil {
			return metric, fmt.Errorf("metric %s: job: %w", metric.Name, err)
		}
		// Placeholders can only sit inside JSON strings: values are escaped for them.
		replaced := s.str(string(raw), jsonEscape)
		if s.err == nil && replaced != string(raw) {
			var job v1alpha1.JobMetric
			if err := json.Unmarshal([]byte(replaced), &job); err != nil {
				return metric, fmt.Errorf("metric %s: job after substituting args: %w", metric.Name, err)
			}
			out.Provider.Job = &job
		}
	}
	if s.err != nil {
		return metric, s.err
	}
	return out, nil
}

// Redact replaces every secret in s with *****, also in the forms a secret takes in a URL or
// in JSON and without surrounding white space (a Secret's trailing newline), longest first
// so that no part of a longer secret survives. Empty secrets are ignored.
func Redact(s string, secrets []string) string {
	if len(secrets) == 0 || s == "" {
		return s
	}
	var forms []string
	add := func(f string) {
		if f != "" && !slices.Contains(forms, f) {
			forms = append(forms, f)
		}
	}
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		for _, v := range []string{secret, strings.TrimSpace(secret)} {
			add(v)
			add(url.QueryEscape(v))
			add(url.PathEscape(v))
			add(jsonEscape(v))
		}
	}
	sort.SliceStable(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	for _, f := range forms {
		s = strings.ReplaceAll(s, f, Redacted)
	}
	return s
}
