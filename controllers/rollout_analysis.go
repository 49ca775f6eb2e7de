package controllers

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// analysisSpecs reads the templates of every analysis the Rollout names and merges them into
// the spec of its runs, by kind (plan.Analyses). It reports, with the field and the fix, a
// template that does not exist, two templates of one analysis with a metric of the same name,
// or a template argument nothing gives a value.
func (r *RolloutReconciler) analysisSpecs(ctx context.Context, ro *v1alpha1.Rollout) (map[string]v1alpha1.AnalysisRunSpec, string, error) {
	out := map[string]v1alpha1.AnalysisRunSpec{}
	for _, a := range plan.Analyses(ro) {
		specs, msg, err := r.templates(ctx, ro.Namespace, a)
		if msg != "" || err != nil {
			return nil, msg, err
		}
		spec, msg := plan.MergeTemplates(a, specs)
		if msg == "" {
			msg = plan.CheckFieldRefs(ro, a, spec)
		}
		if msg != "" {
			return nil, msg, nil
		}
		out[a.Kind] = spec
	}
	return out, "", nil
}

// templates reads the templates an analysis names; a missing one is a message.
func (r *RolloutReconciler) templates(ctx context.Context, ns string, a plan.NamedAnalysis) ([]v1alpha1.AnalysisTemplateSpec, string, error) {
	var specs []v1alpha1.AnalysisTemplateSpec
	for i, ref := range a.Analysis.Templates {
		field := fmt.Sprintf("%s.templates[%d]", a.Field, i)
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

// startRun creates the AnalysisRun the plan asks for, with the spec the plan resolved.
func (r *RolloutReconciler) startRun(ctx context.Context, ro *v1alpha1.Rollout, req plan.RunRequest) error {
	spec := *req.Spec.DeepCopy()
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
