package analysis

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// unknownArgValue stands for an arg a template declares without a value: the Rollout, a
// Secret or a field gives it only when a run starts. A number, so that a condition such as
// result < {{args.threshold}} still compiles.
const unknownArgValue = "1"

// ValidateTemplate checks an analysis template for what would otherwise fail only once a run
// made from it starts: each metric is prepared as the run prepares it (every {{args.name}}
// declared in args, conditions that compile), and its counts, limits and durations parse.
// What an arg sets is only known when the run starts (a Rollout may override a default), so
// a count, limit or duration written with a placeholder is not judged. fldPath is the
// template's spec.
func ValidateTemplate(spec v1alpha1.AnalysisTemplateSpec, fldPath *field.Path) field.ErrorList {
	args := templateArgs(spec)
	var errs field.ErrorList
	for i, m := range spec.Metrics {
		path := fldPath.Child("metrics").Index(i)
		_, _, _, err := Prepare(m, args)
		var cond *conditionError
		switch {
		case errors.As(err, &cond):
			errs = append(errs, field.Invalid(path.Child(cond.field), field.OmitValueType{}, withoutMetric(m, err)))
		case err != nil:
			errs = append(errs, field.Invalid(path, field.OmitValueType{}, withoutMetric(m, err)))
		}
		errs = append(errs, validateLimits(m, path)...)
	}
	return errs
}

// WarnTemplate finds what is allowed but most likely not meant: a condition that compares
// result itself with a number in a Prometheus metric whose query gives a list (a vector, as
// Argo Rollouts gives it, even of one sample, or a range query). Such a measurement is an
// Error naming the fix; a query wrapped in scalar() gives a number and is not warned about.
func WarnTemplate(spec v1alpha1.AnalysisTemplateSpec, fldPath *field.Path) field.ErrorList {
	args := templateArgs(spec)
	var warnings field.ErrorList
	for i, m := range spec.Metrics {
		prom := m.Provider.Prometheus
		if prom == nil || (prom.RangeQuery == nil && givesNumber(prom.Query)) {
			continue
		}
		_, success, failure, err := Prepare(m, args)
		if err != nil {
			continue // ValidateTemplate reports it
		}
		for _, c := range []struct {
			field string
			cond  *Condition
		}{{"successCondition", success}, {"failureCondition", failure}} {
			if c.cond.ComparesResult() {
				warnings = append(warnings, field.Invalid(fldPath.Child("metrics").Index(i).Child(c.field), c.cond.String(),
					fmt.Sprintf("compares result with a number, but this query gives a list (a vector is one, even of one sample, as in Argo Rollouts): write %q, or wrap the query in scalar()", c.cond.IndexedResult())))
			}
		}
	}
	return warnings
}

// givesNumber: a PromQL query that answers a scalar, not a vector: scalar(...), or a number.
func givesNumber(query string) bool {
	q := strings.TrimSpace(query)
	if strings.HasPrefix(q, "scalar(") || strings.HasPrefix(q, "scalar (") {
		return true
	}
	_, err := strconv.ParseFloat(q, 64)
	return err == nil
}

func templateArgs(spec v1alpha1.AnalysisTemplateSpec) map[string]string {
	args := make(map[string]string, len(spec.Args))
	for _, a := range spec.Args {
		args[a.Name] = unknownArgValue
		if a.Value != nil {
			args[a.Name] = *a.Value
		}
	}
	return args
}

// validateLimits parses each count, limit and duration of a metric written without a
// placeholder, one at a time so that each error names its own field.
func validateLimits(m v1alpha1.Metric, path *field.Path) field.ErrorList {
	text := func(v *intstr.IntOrString) string {
		if v == nil {
			return ""
		}
		return v.String()
	}
	var errs field.ErrorList
	for _, f := range []struct {
		name, text string
		only       v1alpha1.Metric
	}{
		{"count", text(m.Count), v1alpha1.Metric{Name: m.Name, Count: m.Count}},
		{"failureLimit", text(m.FailureLimit), v1alpha1.Metric{Name: m.Name, FailureLimit: m.FailureLimit}},
		{"inconclusiveLimit", text(m.InconclusiveLimit), v1alpha1.Metric{Name: m.Name, InconclusiveLimit: m.InconclusiveLimit}},
		{"consecutiveErrorLimit", text(m.ConsecutiveErrorLimit), v1alpha1.Metric{Name: m.Name, ConsecutiveErrorLimit: m.ConsecutiveErrorLimit}},
		{"interval", string(m.Interval), v1alpha1.Metric{Name: m.Name, Interval: m.Interval}},
		{"initialDelay", string(m.InitialDelay), v1alpha1.Metric{Name: m.Name, InitialDelay: m.InitialDelay}},
	} {
		if f.text == "" || placeholder.MatchString(f.text) {
			continue
		}
		if _, err := Limits(f.only); err != nil {
			errs = append(errs, field.Invalid(path.Child(f.name), f.text, withoutMetric(m, err)))
		}
	}
	return errs
}

// withoutMetric is an error's message without the "metric NAME: " its field path already says.
func withoutMetric(m v1alpha1.Metric, err error) string {
	return strings.TrimPrefix(err.Error(), "metric "+m.Name+": ")
}
