package controllers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/plan"
	"github.com/ramp-dev/ramp/pkg/traffic"
)

func (r *RolloutReconciler) adopt(ctx context.Context, ro *v1alpha1.Rollout, rs *appsv1.ReplicaSet) error {
	orig := rs.DeepCopy()
	rs.OwnerReferences = append(rs.OwnerReferences, *metav1.NewControllerRef(ro, v1alpha1.GroupVersion.WithKind("Rollout")))
	if err := r.Patch(ctx, rs, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{}), client.FieldOwner(fieldManager)); err != nil {
		return fmt.Errorf("adopt replicaset %s/%s: %w", rs.Namespace, rs.Name, err)
	}
	return nil
}

// write makes one write of the plan; it returns the timeline notes of routing changes.
func (r *RolloutReconciler) write(ctx context.Context, ro *v1alpha1.Rollout, router traffic.Router, in *plan.Input, p *plan.Plan, w plan.Write) ([]plan.Note, error) {
	switch w.Kind {
	case plan.WriteAdopt:
		rs := orphanNamed(in, w.Name)
		if rs == nil {
			return nil, fmt.Errorf("adopt replicaset %s/%s: not observed", ro.Namespace, w.Name)
		}
		return nil, r.adopt(ctx, ro, rs)
	case plan.WriteRelease:
		return r.release(ctx, ro, in, p.Release)
	case plan.WriteWeight:
		return setWeight(ctx, ro, router, p)
	case plan.WriteRoutes:
		return setRoutes(ctx, router, p)
	case plan.WriteCreate:
		return nil, r.createReplicaSet(ctx, ro, p)
	case plan.WriteRenumber:
		rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: ro.Namespace, Name: w.Name}}
		patch := client.RawPatch(types.MergePatchType, fmt.Appendf(nil, `{"metadata":{"annotations":{%q:"%d"}}}`, v1alpha1.RevisionAnnotation, p.Renumber[w.Name]))
		if err := r.Patch(ctx, rs, patch, client.FieldOwner(fieldManager)); err != nil {
			return nil, fmt.Errorf("renumber replicaset %s/%s as revision %d: %w", ro.Namespace, w.Name, p.Renumber[w.Name], err)
		}
	case plan.WriteMetadata:
		return nil, r.moveSideMetadata(ctx, ro.Namespace, w.Name, p.Metadata[w.Name])
	case plan.WriteSelector:
		return nil, r.pointService(ctx, ro, p, w.Name)
	case plan.WriteScale:
		return nil, r.scale(ctx, ro, w.Name, p.Scale[w.Name])
	case plan.WriteWorkload:
		return nil, r.scaleWorkload(ctx, ro.Namespace, p.Workload)
	case plan.WriteEvict:
		refused, err := r.evict(ctx, ro.Namespace, w.Name)
		if refused {
			p.RequeueAfter = p.RequeueIfEvictionRefused
		}
		return nil, err
	case plan.WriteDelete:
		rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: ro.Namespace, Name: w.Name}}
		if err := r.Delete(ctx, rs); client.IgnoreNotFound(err) != nil {
			return nil, fmt.Errorf("delete old replicaset %s/%s: %w", ro.Namespace, w.Name, err)
		}
	case plan.WriteStartRun:
		return nil, r.startRun(ctx, ro, p.StartRuns[w.Index])
	case plan.WriteTerminateRun:
		run := &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Namespace: ro.Namespace, Name: w.Name}}
		patch := client.RawPatch(types.MergePatchType, []byte(`{"spec":{"terminate":true}}`))
		if err := r.Patch(ctx, run, patch, client.FieldOwner(fieldManager)); client.IgnoreNotFound(err) != nil {
			return nil, fmt.Errorf("terminate analysisrun %s/%s: %w", ro.Namespace, w.Name, err)
		}
	case plan.WriteDeleteRun:
		run := &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Namespace: ro.Namespace, Name: w.Name}}
		if err := r.Delete(ctx, run); client.IgnoreNotFound(err) != nil {
			return nil, fmt.Errorf("delete old analysisrun %s/%s: %w", ro.Namespace, w.Name, err)
		}
	case plan.WriteDeleteIngress:
		return r.deleteIngresses(ctx, in, []string{w.Name})
	default:
		return nil, fmt.Errorf("plan write %q is not known to the controller", w.Kind)
	}
	return nil, nil
}

func orphanNamed(in *plan.Input, name string) *appsv1.ReplicaSet {
	for _, rs := range in.Orphans {
		if rs.Name == name {
			return rs.DeepCopy()
		}
	}
	return nil // the plan adopts only what was observed
}

// scale sets one ReplicaSet's replicas.
func (r *RolloutReconciler) scale(ctx context.Context, ro *v1alpha1.Rollout, name string, replicas int32) error {
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: ro.Namespace, Name: name}}
	patch := client.RawPatch(types.MergePatchType, fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, replicas))
	if err := r.Patch(ctx, rs, patch, client.FieldOwner(fieldManager)); err != nil {
		return fmt.Errorf("scale replicaset %s/%s to %d: %w", ro.Namespace, name, replicas, err)
	}
	r.expected.wrote(rs)
	return nil
}

// pointService writes one Service's selector of the plan, with its annotations in the same
// write: both land, or neither.
func (r *RolloutReconciler) pointService(ctx context.Context, ro *v1alpha1.Rollout, p *plan.Plan, name string) error {
	hash := p.Selectors[name]
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ro.Namespace, Name: name}}
	patch := map[string]any{"spec": map[string]any{"selector": map[string]string{v1alpha1.PodTemplateHashLabel: hash}}}
	if a := p.ServiceAnnotations[name]; len(a) > 0 {
		patch["metadata"] = map[string]any{"annotations": a} // never null: that would drop every annotation
	}
	body, err := json.Marshal(patch)
	if err != nil {
		return fmt.Errorf("service patch: %w", err)
	}
	if err := r.Patch(ctx, svc, client.RawPatch(types.MergePatchType, body), client.FieldOwner(fieldManager)); err != nil {
		return fmt.Errorf("point service %s/%s at revision %s: %w", ro.Namespace, name, hash, err)
	}
	return nil
}

// nameTakenError is a ReplicaSet the plan created whose name another object has: the
// planner is told (plan.Input.NameTaken) and plans the collision.
type nameTakenError struct{ name string }

func (e *nameTakenError) Error() string { return "replicaset name " + e.name + " is taken" }

// createReplicaSet creates the current revision's ReplicaSet; a name taken by an object that
// is not this revision's ReplicaSet is a *nameTakenError.
func (r *RolloutReconciler) createReplicaSet(ctx context.Context, ro *v1alpha1.Rollout, p *plan.Plan) error {
	err := r.Create(ctx, p.Create, client.FieldOwner(fieldManager))
	if err == nil {
		r.expected.wrote(p.Create)
		return nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create replicaset %s/%s: %w", p.Create.Namespace, p.Create.Name, err)
	}
	existing, err := r.freshReplicaSet(ctx, client.ObjectKeyFromObject(p.Create)) // the object in the way may lack the revision label
	if err != nil {
		return err
	}
	if plan.CreatedButNotCached(ro, p.Create, existing) {
		return fmt.Errorf("replicaset %s/%s exists but is not in the cache yet", existing.Namespace, existing.Name)
	}
	return &nameTakenError{name: p.Create.Name}
}

// moveSideMetadata changes the side metadata of a ReplicaSet's pods: on its template (for pods
// to come), in its record annotation, and on each of its existing pods.
func (r *RolloutReconciler) moveSideMetadata(ctx context.Context, ns, name string, md v1alpha1.PodTemplateMetadata) error {
	rs, err := r.freshReplicaSet(ctx, client.ObjectKey{Namespace: ns, Name: name})
	if err != nil {
		return err
	}
	templatePatch, podPatch, record, err := plan.SideMetadataPatches(rs, md)
	if err != nil {
		return err
	}
	if err := r.Patch(ctx, rs, client.RawPatch(types.MergePatchType, templatePatch), client.FieldOwner(fieldManager)); err != nil {
		return fmt.Errorf("move side metadata of replicaset %s/%s: %w", ns, name, err)
	}
	r.expected.wrote(rs)
	pods, err := r.podsOf(ctx, rs)
	if err != nil {
		return err
	}
	for _, pod := range pods {
		if err := r.Patch(ctx, pod, client.RawPatch(types.MergePatchType, podPatch), client.FieldOwner(fieldManager)); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("move side metadata of pod %s/%s: %w", ns, pod.Name, err)
		}
	}
	if err := r.Patch(ctx, rs, client.RawPatch(types.MergePatchType, record), client.FieldOwner(fieldManager)); err != nil {
		return fmt.Errorf("record side metadata of replicaset %s/%s: %w", ns, name, err)
	}
	return nil
}

// evict asks the API server to evict a pod, which honours PodDisruptionBudgets. A refusal for
// a budget is not an error: it reports refused, and the restart tries again later.
func (r *RolloutReconciler) evict(ctx context.Context, ns, name string) (refused bool, err error) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	err = r.SubResource("eviction").Create(ctx, pod, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}})
	switch {
	case err == nil, apierrors.IsNotFound(err):
		return false, nil
	case apierrors.IsTooManyRequests(err):
		log.FromContext(ctx).Info("eviction refused by a disruption budget, retrying later", "pod", ns+"/"+name)
		return true, nil
	default:
		return false, fmt.Errorf("evict pod %s/%s: %w", ns, name, err)
	}
}

// release returns the router the spec no longer names to the stable revision: by deleting
// the canary Ingresses the plan names (NGINX), or by weight 0 and then no managed routes. Objects already gone or changed beyond recognition (the user's own edit)
// are noted and let go.
func (r *RolloutReconciler) release(ctx context.Context, ro *v1alpha1.Rollout, in *plan.Input, rel *plan.Release) ([]plan.Note, error) {
	if rel == nil {
		return nil, nil
	}
	if rel.ByDeletion {
		return r.deleteIngresses(ctx, in, rel.DeleteIngresses)
	}
	router := r.routerFor(ro, rel.Managed)
	if router == nil {
		return nil, nil
	}
	err := router.SetWeight(ctx, rel.Traffic)
	if _, invalid := traffic.IsInvalid(err); err == nil || invalid {
		// The managed routes send requests to the canary too: they go even when the weights
		// cannot be set back (the user changed the route beyond recognition).
		err = errors.Join(err, router.RemoveManagedRoutes(ctx))
	}
	if msg, ok := traffic.IsInvalid(err); ok {
		return []plan.Note{{Reason: v1alpha1.ReasonTrafficInvalid, Warning: true,
			Message: fmt.Sprintf("the %s routing ramp used before cannot be returned to stable, left as it is where it could not be: %s", router.Type(), msg)}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("return the %s routing of rollout %s/%s to stable: %w", router.Type(), ro.Namespace, ro.Name, err)
	}
	return nil, nil
}

// setWeight has the router route the plan's weight; once it does, the status reports it and
// the timeline notes the change.
func setWeight(ctx context.Context, ro *v1alpha1.Rollout, router traffic.Router, p *plan.Plan) ([]plan.Note, error) {
	if router == nil {
		return nil, nil
	}
	if err := router.SetWeight(ctx, *p.Traffic); err != nil {
		return nil, fmt.Errorf("set %s canary weight of rollout %s/%s to %d: %w", router.Type(), ro.Namespace, ro.Name, p.Traffic.CanaryWeight, err)
	}
	p.Status.Canary.Weights = p.ConfirmedWeights
	return notes(p.WeightNote), nil
}

// setRoutes has the router add and remove the plan's managed routes.
func setRoutes(ctx context.Context, router traffic.Router, p *plan.Plan) ([]plan.Note, error) {
	if router == nil {
		return nil, nil
	}
	if err := setManagedRoutes(ctx, router, p.Traffic); err != nil {
		return nil, err
	}
	return notes(p.RoutesNote), nil
}

func notes(n *plan.Note) []plan.Note {
	if n == nil {
		return nil
	}
	return []plan.Note{*n}
}

// setManagedRoutes removes the managed routes d lets go and sets those it wants.
func setManagedRoutes(ctx context.Context, router traffic.Router, d *traffic.Desired) error {
	if d.RemoveAllRoutes {
		if err := router.RemoveManagedRoutes(ctx); err != nil {
			return fmt.Errorf("remove %s managed routes: %w", router.Type(), err)
		}
		return nil
	}
	hr, headers := router.(traffic.HeaderRouter)
	mr, mirrors := router.(traffic.MirrorRouter)
	for _, name := range d.RemoveRoutes {
		// A route with no match is removed; the name says nothing of its kind, so ask both.
		if headers {
			if err := hr.SetHeaderRoute(ctx, traffic.HeaderRoute{Name: name}); err != nil {
				return fmt.Errorf("remove %s header route %s: %w", router.Type(), name, err)
			}
		}
		if mirrors {
			if err := mr.SetMirrorRoute(ctx, traffic.MirrorRoute{Name: name}); err != nil {
				return fmt.Errorf("remove %s mirror route %s: %w", router.Type(), name, err)
			}
		}
	}
	for _, h := range d.HeaderRoutes {
		if !headers {
			return fmt.Errorf("%s cannot route by header", router.Type()) // Validate rejects such specs
		}
		if err := hr.SetHeaderRoute(ctx, h); err != nil {
			return fmt.Errorf("set %s header route %s: %w", router.Type(), h.Name, err)
		}
	}
	for _, m := range d.MirrorRoutes {
		if !mirrors {
			return fmt.Errorf("%s cannot mirror", router.Type()) // Validate rejects such specs
		}
		if err := mr.SetMirrorRoute(ctx, m); err != nil {
			return fmt.Errorf("set %s mirror route %s: %w", router.Type(), m.Name, err)
		}
	}
	return nil
}

// deleteIngresses deletes the canary Ingresses the plan names, each as it was observed (a UID
// precondition: never another object that took the name since).
func (r *RolloutReconciler) deleteIngresses(ctx context.Context, in *plan.Input, names []string) ([]plan.Note, error) {
	var notes []plan.Note
	for _, ing := range in.CanaryIngresses {
		if !slices.Contains(names, ing.Name) {
			continue
		}
		if err := r.Delete(ctx, ing, client.Preconditions{UID: &ing.UID}); client.IgnoreNotFound(err) != nil {
			return notes, fmt.Errorf("delete canary ingress %s/%s: %w", ing.Namespace, ing.Name, err)
		}
		notes = append(notes, plan.Note{Reason: v1alpha1.ReasonRouteChanged,
			Message: fmt.Sprintf("canary Ingress %s deleted: trafficRouting.nginx no longer names its stable Ingress", ing.Name)})
	}
	return notes, nil
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
