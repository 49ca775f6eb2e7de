package plan

import (
	"fmt"
	"slices"

	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// NamedAnalysis is one analysis a Rollout names: the kind of its runs (a step index,
// background, prepromotion, postpromotion) and the field that names it.
type NamedAnalysis struct {
	Kind, Field string
	Analysis    v1alpha1.RolloutAnalysis
}

// Analyses are the analyses a Rollout names, each once.
func Analyses(ro *v1alpha1.Rollout) []NamedAnalysis {
	var out []NamedAnalysis
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil {
		if bg.PrePromotionAnalysis != nil {
			out = append(out, NamedAnalysis{prePromotionKind, "spec.strategy.blueGreen.prePromotionAnalysis", *bg.PrePromotionAnalysis})
		}
		if bg.PostPromotionAnalysis != nil {
			out = append(out, NamedAnalysis{postPromotionKind, "spec.strategy.blueGreen.postPromotionAnalysis", *bg.PostPromotionAnalysis})
		}
	}
	c := ro.Spec.Strategy.Canary
	if c == nil {
		return out
	}
	for i, s := range c.Steps {
		if s.Analysis != nil {
			out = append(out, NamedAnalysis{fmt.Sprint(i), fmt.Sprintf("spec.strategy.canary.steps[%d].analysis", i), *s.Analysis})
		}
	}
	if c.Analysis != nil {
		out = append(out, NamedAnalysis{backgroundKind, "spec.strategy.canary.analysis", c.Analysis.RolloutAnalysis})
	}
	return out
}

// MergeTemplates merges an analysis's templates into one run spec, the analysis's args
// overriding the templates' defaults; it returns a message when that cannot be done.
func MergeTemplates(a NamedAnalysis, specs []v1alpha1.AnalysisTemplateSpec) (v1alpha1.AnalysisRunSpec, string) {
	var run v1alpha1.AnalysisRunSpec
	for _, s := range specs {
		for _, m := range s.Metrics {
			if slices.ContainsFunc(run.Metrics, func(o v1alpha1.Metric) bool { return o.Name == m.Name }) {
				return run, fmt.Sprintf("%s: two of its templates have a metric named %q: rename one", a.Field, m.Name)
			}
			run.Metrics = append(run.Metrics, m)
		}
		for _, arg := range s.Args {
			if !slices.ContainsFunc(run.Args, func(o v1alpha1.Argument) bool { return o.Name == arg.Name }) {
				run.Args = append(run.Args, arg)
			}
		}
		run.DryRun = append(run.DryRun, s.DryRun...)
		run.MeasurementRetention = append(run.MeasurementRetention, s.MeasurementRetention...)
	}
	run.DryRun = append(run.DryRun, a.Analysis.DryRun...)
	run.MeasurementRetention = append(run.MeasurementRetention, a.Analysis.MeasurementRetention...)
	for i := range run.Args {
		arg := &run.Args[i]
		given := slices.IndexFunc(a.Analysis.Args, func(o v1alpha1.AnalysisRunArgument) bool { return o.Name == arg.Name })
		if given >= 0 {
			g := a.Analysis.Args[given]
			arg.Value, arg.ValueFrom = nil, nil
			if g.ValueFrom != nil {
				arg.ValueFrom = &v1alpha1.ValueFrom{PodTemplateHashValue: g.ValueFrom.PodTemplateHashValue, FieldRef: g.ValueFrom.FieldRef}
			} else {
				arg.Value = ptr.To(g.Value)
			}
		}
		if arg.Value == nil && arg.ValueFrom == nil {
			return run, fmt.Sprintf("%s: argument %q of its templates has no value: add {name: %s, value: ...} to %s.args", a.Field, arg.Name, arg.Name, a.Field)
		}
	}
	return run, ""
}
