package controllers

import (
	"context"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	networkingv1 "k8s.io/api/networking/v1"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/plan"
	"github.com/ramp-dev/ramp/pkg/traffic"
	"github.com/ramp-dev/ramp/pkg/workload"
)

// observe reads what the planner needs, from the cache: the Rollout's ReplicaSets, Services,
// pods (only while a restart is pending), AnalysisRuns and merged templates, canary Ingresses,
// orphans it may adopt, and what its router routes. It only reads. A nil Input means not now:
// a ReplicaSet status the cache has not caught up with will bring the Rollout back.
func (r *RolloutReconciler) observe(ctx context.Context, ro *v1alpha1.Rollout, workloadInvalid string) (*plan.Input, traffic.Router, error) {
	rss, orphans, err := r.replicaSets(ctx, ro)
	if err != nil {
		return nil, nil, err
	}
	if workloadInvalid != "" {
		// no template to plan from: the Rollout is Degraded, with its pods counted
		return &plan.Input{Rollout: ro, ReplicaSets: rss, Now: r.Clock.Now(), WorkloadInvalid: workloadInvalid}, nil, nil
	}
	if name := r.expected.stale(rss); name != "" {
		log.FromContext(ctx).V(1).Info("waiting for replicaset status to catch up", "replicaset", name)
		return nil, nil, nil
	}
	in := &plan.Input{Rollout: ro, ReplicaSets: rss, Orphans: orphans, Now: r.Clock.Now(), DefaultedTemplate: r.defaultedTemplate(ctx, ro, append(slices.Clone(rss), orphans...))}
	if in.Services, err = r.services(ctx, ro); err != nil {
		return nil, nil, err
	}
	if plan.RestartPending(ro) {
		if in.Pods, err = r.pods(ctx, ro); err != nil {
			return nil, nil, err
		}
	}
	if in.CanaryIngresses, err = r.canaryIngresses(ctx, ro); err != nil {
		return nil, nil, err
	}
	if in.Runs, err = r.analysisRuns(ctx, ro); err != nil {
		return nil, nil, err
	}
	if in.AnalysisSpecs, in.AnalysisInvalid, err = r.analysisSpecs(ctx, ro); err != nil {
		return nil, nil, err
	}
	router := r.router(ro)
	if router != nil {
		if in.Traffic, err = observeTraffic(ctx, ro, router); err != nil {
			return nil, nil, err
		}
	}
	return in, router, nil
}

// services returns the Services the Rollout names, nil for those that do not exist.
func (r *RolloutReconciler) services(ctx context.Context, ro *v1alpha1.Rollout) (map[string]*corev1.Service, error) {
	out := map[string]*corev1.Service{}
	for _, name := range serviceNames(ro) {
		svc := &corev1.Service{}
		err := r.Get(ctx, client.ObjectKey{Namespace: ro.Namespace, Name: name}, svc)
		switch {
		case apierrors.IsNotFound(err):
			out[name] = nil
		case err != nil:
			return nil, fmt.Errorf("get service %s/%s: %w", ro.Namespace, name, err)
		default:
			out[name] = svc
		}
	}
	return out, nil
}

// replicaSets lists the ReplicaSets the Rollout owns, and the orphans it may adopt: those its
// selector matches that carry a revision hash (left by a deleted Rollout, or another tool).
func (r *RolloutReconciler) replicaSets(ctx context.Context, ro *v1alpha1.Rollout) (owned, orphans []*appsv1.ReplicaSet, err error) {
	// By index: listing (and so copying) every ReplicaSet of the namespace for each reconcile
	// was a third of the controller's CPU with 500 Rollouts in one namespace.
	var listed []*appsv1.ReplicaSet
	for _, key := range []string{string(ro.UID), orphanKey} {
		list := &appsv1.ReplicaSetList{}
		if err := r.List(ctx, list, client.InNamespace(ro.Namespace), client.MatchingFields{ownerIndex: key}); err != nil {
			return nil, nil, fmt.Errorf("list replicasets of %s/%s: %w", ro.Namespace, ro.Name, err)
		}
		for i := range list.Items {
			listed = append(listed, &list.Items[i])
		}
	}
	owned, orphans = plan.SplitReplicaSets(ro, listed)
	return owned, orphans, nil
}

// pods lists the Rollout's pods straight from the API server (they are not cached: they are
// needed only while a restartAt is pending).
func (r *RolloutReconciler) pods(ctx context.Context, ro *v1alpha1.Rollout) ([]*corev1.Pod, error) {
	sel, err := metav1.LabelSelectorAsSelector(ro.Spec.Selector)
	if err != nil || sel.Empty() {
		return nil, nil // the planner reports the selector
	}
	list := &corev1.PodList{}
	if err := r.APIReader.List(ctx, list, client.InNamespace(ro.Namespace), client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return nil, fmt.Errorf("list pods of rollout %s/%s: %w", ro.Namespace, ro.Name, err)
	}
	out := make([]*corev1.Pod, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	return out, nil
}

// observeTraffic asks the router what it routes now. A reference the Rollout's author must fix
// is reported to the planner, which degrades the Rollout; other errors are retried.
func observeTraffic(ctx context.Context, ro *v1alpha1.Rollout, router traffic.Router) (*plan.Traffic, error) {
	st, err := router.Verify(ctx)
	if msg, ok := traffic.IsInvalid(err); ok {
		return &plan.Traffic{Invalid: msg}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s routing of rollout %s/%s: %w", router.Type(), ro.Namespace, ro.Name, err)
	}
	return &plan.Traffic{State: st}, nil
}

// canaryIngresses are the Ingresses the Rollout owns: its NGINX canary Ingresses.
func (r *RolloutReconciler) canaryIngresses(ctx context.Context, ro *v1alpha1.Rollout) ([]*networkingv1.Ingress, error) {
	list := &networkingv1.IngressList{}
	if err := r.List(ctx, list, client.InNamespace(ro.Namespace), client.MatchingFields{ownerIndex: string(ro.UID)}); err != nil {
		return nil, fmt.Errorf("list canary ingresses of %s/%s: %w", ro.Namespace, ro.Name, err)
	}
	out := make([]*networkingv1.Ingress, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	return out, nil
}

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

// defaultedTemplate observes the Rollout's pod template as the API server defaults it, when the
// planner needs it to tell which revision the template is: no ReplicaSet carries the template's
// hash, and one may be its revision. It asks the API server itself, with a dry-run create of the
// ReplicaSet the template would get (nothing is stored). nil when not needed, or when the
// dry-run is refused: the template is then a new revision, whose real create says why.
func (r *RolloutReconciler) defaultedTemplate(ctx context.Context, ro *v1alpha1.Rollout, rss []*appsv1.ReplicaSet) *corev1.PodTemplateSpec {
	hash, needed := plan.DefaultedTemplateNeeded(ro, rss)
	if !needed {
		return nil
	}
	if tpl := r.defaulted.get(client.ObjectKeyFromObject(ro), hash); tpl != nil {
		return tpl
	}
	rs := workload.NewReplicaSet(ro, hash, 0, 0)
	rs.Name, rs.GenerateName = "", ro.Name+"-"
	if err := r.Create(ctx, rs, client.DryRunAll, client.FieldOwner(fieldManager)); err != nil {
		log.FromContext(ctx).V(1).Info("dry-run of the pod template refused: taking it as a new revision", "error", err.Error())
		return nil
	}
	r.defaulted.put(client.ObjectKeyFromObject(ro), hash, &rs.Spec.Template)
	return &rs.Spec.Template
}

// freshReplicaSet reads a ReplicaSet from the API server, not the cache: the cache holds only
// ReplicaSets with the revision label, and lags the controller's own writes.
func (r *RolloutReconciler) freshReplicaSet(ctx context.Context, key client.ObjectKey) (*appsv1.ReplicaSet, error) {
	rs := &appsv1.ReplicaSet{}
	if err := r.APIReader.Get(ctx, key, rs); err != nil {
		return nil, fmt.Errorf("get replicaset %s/%s: %w", key.Namespace, key.Name, err)
	}
	return rs, nil
}

// podsOf lists the pods a ReplicaSet controls, from the API server (pods are not cached).
func (r *RolloutReconciler) podsOf(ctx context.Context, rs *appsv1.ReplicaSet) ([]*corev1.Pod, error) {
	sel, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("selector of replicaset %s/%s: %w", rs.Namespace, rs.Name, err)
	}
	pods := &corev1.PodList{}
	if err := r.APIReader.List(ctx, pods, client.InNamespace(rs.Namespace), client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return nil, fmt.Errorf("list pods of replicaset %s/%s: %w", rs.Namespace, rs.Name, err)
	}
	var out []*corev1.Pod
	for i := range pods.Items {
		if metav1.IsControlledBy(&pods.Items[i], rs) {
			out = append(out, &pods.Items[i])
		}
	}
	return out, nil
}
