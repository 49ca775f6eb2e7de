package plan

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/util/jsonpath"
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

// resolveArgs gives the spec's podTemplateHashValue and fieldRef args their values; Secret args
// stay references that the AnalysisRun controller reads when it measures, so their values are
// stored nowhere.
func resolveArgs(ro *v1alpha1.Rollout, spec v1alpha1.AnalysisRunSpec, stableHash, latestHash string) (v1alpha1.AnalysisRunSpec, error) {
	spec = *spec.DeepCopy()
	for i := range spec.Args {
		arg := &spec.Args[i]
		if arg.ValueFrom == nil || arg.ValueFrom.SecretKeyRef != nil {
			continue
		}
		v, err := argValue(ro, stableHash, latestHash, arg.ValueFrom)
		if err != nil {
			return spec, fmt.Errorf("argument %s: %w", arg.Name, err)
		}
		arg.Value, arg.ValueFrom = ptr.To(v), nil
	}
	return spec, nil
}

// CheckFieldRefs says which fieldRef argument of an analysis's merged spec names no field of
// the Rollout ("" when all do), so that the Rollout is Degraded before a run is due.
func CheckFieldRefs(ro *v1alpha1.Rollout, a NamedAnalysis, spec v1alpha1.AnalysisRunSpec) string {
	for _, arg := range spec.Args {
		if arg.ValueFrom == nil || arg.ValueFrom.FieldRef == nil {
			continue
		}
		if _, err := fieldValue(ro, arg.ValueFrom.FieldRef.FieldPath); err != nil {
			return fmt.Sprintf("%s: argument %q: %v: name a field of the Rollout (metadata.name, metadata.labels['app'], spec.replicas)", a.Field, arg.Name, err)
		}
	}
	return ""
}

// argValue resolves a podTemplateHashValue or fieldRef argument.
func argValue(ro *v1alpha1.Rollout, stableHash, latestHash string, from *v1alpha1.ValueFrom) (string, error) {
	switch {
	case from.PodTemplateHashValue != nil && *from.PodTemplateHashValue == "Stable":
		return stableHash, nil
	case from.PodTemplateHashValue != nil:
		return latestHash, nil
	case from.FieldRef != nil:
		return fieldValue(ro, from.FieldRef.FieldPath)
	}
	return "", fmt.Errorf("valueFrom names no source")
}

// fieldValue reads a field of the Rollout by path: metadata.name, metadata.labels['app'],
// spec.replicas.
func fieldValue(ro *v1alpha1.Rollout, path string) (string, error) {
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(ro)
	if err != nil {
		return "", err
	}
	expr := path
	for _, m := range []string{"labels", "annotations"} {
		// metadata.labels['app'] -> metadata.labels.app, as JSONPath wants it
		if pre := "metadata." + m + "['"; strings.HasPrefix(path, pre) && strings.HasSuffix(path, "']") {
			expr = "metadata." + m + "." + strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(path, pre), "']"), ".", `\.`)
		}
	}
	jp := jsonpath.New("fieldRef").AllowMissingKeys(false)
	if err := jp.Parse("{." + expr + "}"); err != nil {
		return "", fmt.Errorf("fieldRef %q: %w", path, err)
	}
	var out strings.Builder
	if err := jp.Execute(&out, obj); err != nil {
		return "", fmt.Errorf("fieldRef %q: %w", path, err)
	}
	return out.String(), nil
}
