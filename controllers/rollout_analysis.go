package controllers

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/util/jsonpath"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/plan"
)

// +kubebuilder:rbac:groups=rollouts.ramp.dev,resources=analysisruns,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=rollouts.ramp.dev,resources=analysistemplates;clusteranalysistemplates,verbs=get;list;watch

// analysisRuns lists the AnalysisRuns the Rollout owns, from the cache.
func (r *RolloutReconciler) analysisRuns(ctx context.Context, ro *v1alpha1.Rollout) ([]*v1alpha1.AnalysisRun, error) {
	list := &v1alpha1.AnalysisRunList{}
	if err := r.List(ctx, list, client.InNamespace(ro.Namespace), client.MatchingFields{ownerIndex: string(ro.UID)}); err != nil {
		return nil, fmt.Errorf("list analysisruns of %s/%s: %w", ro.Namespace, ro.Name, err)
	}
	out := make([]*v1alpha1.AnalysisRun, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	return out, nil
}

// namedAnalysis is one analysis a Rollout names, with the field that names it.
type namedAnalysis struct {
	field    string
	analysis v1alpha1.RolloutAnalysis
}

func analysesOf(ro *v1alpha1.Rollout) []namedAnalysis {
	var out []namedAnalysis
	if bg := ro.Spec.Strategy.BlueGreen; bg != nil {
		if bg.PrePromotionAnalysis != nil {
			out = append(out, namedAnalysis{"spec.strategy.blueGreen.prePromotionAnalysis", *bg.PrePromotionAnalysis})
		}
		if bg.PostPromotionAnalysis != nil {
			out = append(out, namedAnalysis{"spec.strategy.blueGreen.postPromotionAnalysis", *bg.PostPromotionAnalysis})
		}
	}
	c := ro.Spec.Strategy.Canary
	if c == nil {
		return out
	}
	for i, s := range c.Steps {
		if s.Analysis != nil {
			out = append(out, namedAnalysis{fmt.Sprintf("spec.strategy.canary.steps[%d].analysis", i), *s.Analysis})
		}
	}
	if c.Analysis != nil {
		out = append(out, namedAnalysis{"spec.strategy.canary.analysis", c.Analysis.RolloutAnalysis})
	}
	return out
}

// checkAnalysis reports, with the field and the fix, a template the Rollout names that does not
// exist, two templates of one analysis with a metric of the same name, or a template argument
// nothing gives a value.
func (r *RolloutReconciler) checkAnalysis(ctx context.Context, ro *v1alpha1.Rollout) (string, error) {
	for _, a := range analysesOf(ro) {
		specs, msg, err := r.templates(ctx, ro.Namespace, a)
		if msg != "" || err != nil {
			return msg, err
		}
		if _, msg := mergeTemplates(a, specs); msg != "" {
			return msg, nil
		}
	}
	return "", nil
}

// templates reads the templates an analysis names; a missing one is a message.
func (r *RolloutReconciler) templates(ctx context.Context, ns string, a namedAnalysis) ([]v1alpha1.AnalysisTemplateSpec, string, error) {
	var specs []v1alpha1.AnalysisTemplateSpec
	for i, ref := range a.analysis.Templates {
		field := fmt.Sprintf("%s.templates[%d]", a.field, i)
		var spec v1alpha1.AnalysisTemplateSpec
		var err error
		kind, where := "AnalysisTemplate", ns+"/"+ref.TemplateName
		if ref.ClusterScope {
			kind, where = "ClusterAnalysisTemplate", ref.TemplateName
			t := &v1alpha1.ClusterAnalysisTemplate{}
			err = r.Get(ctx, client.ObjectKey{Name: ref.TemplateName}, t)
			spec = t.Spec
		} else {
			t := &v1alpha1.AnalysisTemplate{}
			err = r.Get(ctx, client.ObjectKey{Namespace: ns, Name: ref.TemplateName}, t)
			spec = t.Spec
		}
		if apierrors.IsNotFound(err) {
			return nil, fmt.Sprintf("%s: %s %s not found: create it, or fix templateName", field, kind, where), nil
		}
		if err != nil {
			return nil, "", fmt.Errorf("get %s %s: %w", kind, where, err)
		}
		specs = append(specs, spec)
	}
	return specs, "", nil
}

// mergeTemplates merges an analysis's templates into one run spec, the analysis's args
// overriding the templates' defaults; it returns a message when that cannot be done.
func mergeTemplates(a namedAnalysis, specs []v1alpha1.AnalysisTemplateSpec) (v1alpha1.AnalysisRunSpec, string) {
	var run v1alpha1.AnalysisRunSpec
	for _, s := range specs {
		for _, m := range s.Metrics {
			if slices.ContainsFunc(run.Metrics, func(o v1alpha1.Metric) bool { return o.Name == m.Name }) {
				return run, fmt.Sprintf("%s: two of its templates have a metric named %q: rename one", a.field, m.Name)
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
	run.DryRun = append(run.DryRun, a.analysis.DryRun...)
	run.MeasurementRetention = append(run.MeasurementRetention, a.analysis.MeasurementRetention...)
	for i := range run.Args {
		arg := &run.Args[i]
		given := slices.IndexFunc(a.analysis.Args, func(o v1alpha1.AnalysisRunArgument) bool { return o.Name == arg.Name })
		if given >= 0 {
			g := a.analysis.Args[given]
			arg.Value, arg.ValueFrom = nil, nil
			if g.ValueFrom != nil {
				arg.ValueFrom = &v1alpha1.ValueFrom{PodTemplateHashValue: g.ValueFrom.PodTemplateHashValue, FieldRef: g.ValueFrom.FieldRef}
			} else {
				arg.Value = ptr.To(g.Value)
			}
		}
		if arg.Value == nil && arg.ValueFrom == nil {
			return run, fmt.Sprintf("%s: argument %q of its templates has no value: add {name: %s, value: ...} to %s.args", a.field, arg.Name, arg.Name, a.field)
		}
	}
	return run, ""
}

// startRun creates the AnalysisRun the plan asks for: the templates merged, the Rollout's
// args resolved (pod-template hashes, Rollout fields); Secret args stay references that the
// AnalysisRun controller reads when it measures, so their values are stored nowhere.
func (r *RolloutReconciler) startRun(ctx context.Context, ro *v1alpha1.Rollout, req plan.RunRequest) error {
	a := namedAnalysis{field: "analysis " + req.Kind, analysis: req.Analysis}
	specs, msg, err := r.templates(ctx, ro.Namespace, a)
	if err != nil {
		return err
	}
	if msg != "" {
		return fmt.Errorf("analysis run %s: %s", req.Name, msg) // checkAnalysis saw it first; the cache moved on
	}
	spec, msg := mergeTemplates(a, specs)
	if msg != "" {
		return fmt.Errorf("analysis run %s: %s", req.Name, msg)
	}
	for i := range spec.Args {
		arg := &spec.Args[i]
		if arg.ValueFrom == nil || arg.ValueFrom.SecretKeyRef != nil {
			continue
		}
		v, err := argValue(ro, req, arg.ValueFrom)
		if err != nil {
			return fmt.Errorf("analysis run %s: argument %s: %w", req.Name, arg.Name, err)
		}
		arg.Value, arg.ValueFrom = ptr.To(v), nil
	}
	labels := r.Options.shardLabels(ro.Labels) // the run is measured by the Rollout's shard
	if labels == nil {
		labels = map[string]string{}
	}
	labels[v1alpha1.PodTemplateHashLabel], labels[plan.AnalysisKindLabel], labels[v1alpha1.RolloutTypeLabel] = req.LatestHash, req.Kind, req.RolloutType
	run := &v1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{
			Name: req.Name, Namespace: ro.Namespace,
			Labels:          labels,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ro, v1alpha1.GroupVersion.WithKind("Rollout"))},
		},
		Spec: spec,
	}
	if err := r.Create(ctx, run, client.FieldOwner(fieldManager)); client.IgnoreAlreadyExists(err) != nil {
		return fmt.Errorf("create analysisrun %s/%s: %w", ro.Namespace, req.Name, err)
	}
	return nil
}

// argValue resolves a podTemplateHashValue or fieldRef argument.
func argValue(ro *v1alpha1.Rollout, req plan.RunRequest, from *v1alpha1.ValueFrom) (string, error) {
	switch {
	case from.PodTemplateHashValue != nil && *from.PodTemplateHashValue == "Stable":
		return req.StableHash, nil
	case from.PodTemplateHashValue != nil:
		return req.LatestHash, nil
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

// carryOutRuns creates, terminates and deletes AnalysisRuns as the plan says.
func (r *RolloutReconciler) carryOutRuns(ctx context.Context, ro *v1alpha1.Rollout, p *plan.Plan) error {
	for _, req := range p.StartRuns {
		if err := r.startRun(ctx, ro, req); err != nil {
			return err
		}
	}
	for _, name := range p.TerminateRuns {
		run := &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Namespace: ro.Namespace, Name: name}}
		patch := client.RawPatch("application/merge-patch+json", []byte(`{"spec":{"terminate":true}}`))
		if err := r.Patch(ctx, run, patch, client.FieldOwner(fieldManager)); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("terminate analysisrun %s/%s: %w", ro.Namespace, name, err)
		}
	}
	for _, name := range p.DeleteRuns {
		run := &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Namespace: ro.Namespace, Name: name}}
		if err := r.Delete(ctx, run); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("delete old analysisrun %s/%s: %w", ro.Namespace, name, err)
		}
	}
	return nil
}
