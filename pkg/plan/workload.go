package plan

import (
	"fmt"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// WorkloadScale is a change to the workloadRef Deployment: its replicas and ramp's annotations
// on it, in one patch (a nil annotation value removes it).
type WorkloadScale struct {
	Name        string
	Replicas    int32
	Annotations map[string]*string
}

// ResolveWorkload is the Rollout as the planner and the controller see it: with workloadRef,
// the Deployment's pod template and, when the Rollout sets none, its selector. dep is the
// Deployment workloadRef names, nil when it does not exist: the message then says so.
func ResolveWorkload(ro *v1alpha1.Rollout, dep *appsv1.Deployment) (*v1alpha1.Rollout, string) {
	ref := ro.Spec.WorkloadRef
	if ref == nil {
		return ro, ""
	}
	if dep == nil {
		return ro, fmt.Sprintf("spec.workloadRef: Deployment %s/%s not found: create it, or fix workloadRef.name", ro.Namespace, ref.Name)
	}
	out := ro.DeepCopy()
	out.Spec.Template = *dep.Spec.Template.DeepCopy()
	if out.Spec.Selector == nil {
		out.Spec.Selector = dep.Spec.Selector.DeepCopy()
	}
	return out, ""
}

// planWorkload keeps the workloadRef Deployment at the size workloadRef.scaleDown gives it,
// once this pass's phase is known:
//   - onsuccess: 0 once the Rollout is Healthy;
//   - progressively: what the Rollout's available pods do not yet cover, then 0 once Healthy;
//   - never: untouched, or given its replicas back if ramp had scaled it down.
//
// Once at 0 with the Rollout Healthy (ScaledDownAtAnnotation) it is kept there whatever
// restores its replicas, such as a GitOps sync of the Deployment's manifest: only its own pods
// would double the capacity, and the Rollout serves every release from then on.
func (c *pass) planWorkload() {
	dep := c.in.Workload
	if dep == nil || c.ro.Spec.WorkloadRef == nil {
		return
	}
	c.st.WorkloadObservedGeneration = strconv.FormatInt(dep.Generation, 10)
	current := ptr.Deref(dep.Spec.Replicas, 1)
	from, scaled := dep.Annotations[v1alpha1.ScaledDownFromAnnotation]
	_, done := dep.Annotations[v1alpha1.ScaledDownAtAnnotation]
	healthy := c.st.Phase == v1alpha1.RolloutPhaseHealthy
	mode := c.ro.Spec.WorkloadRef.ScaleDown

	w := &WorkloadScale{Name: dep.Name, Replicas: current, Annotations: map[string]*string{}}
	switch {
	case !c.ro.ScalesDownWorkload():
		if !scaled {
			return
		}
		w.Replicas = c.replicas
		for _, a := range []string{v1alpha1.ScaledDownFromAnnotation, v1alpha1.ScaledDownAtAnnotation, v1alpha1.ScaledDownByAnnotation} {
			w.Annotations[a] = nil
		}
		c.p.note(v1alpha1.ReasonWorkloadRestored, fmt.Sprintf("Deployment %s scaled from %d to %d: workloadRef.scaleDown is %q", dep.Name, current, w.Replicas, ScaleDownOrNever(mode)))
		c.p.Workload = w
		return
	case done || healthy:
		w.Replicas = 0
		if !done {
			w.Annotations[v1alpha1.ScaledDownAtAnnotation] = ptr.To(c.in.Now.UTC().Format(time.RFC3339))
		}
	case mode == v1alpha1.ScaleDownProgressively:
		// Each of the Rollout's available pods replaces one of the Deployment's, counted from
		// its size before ramp scaled it: it comes back up as the Rollout loses pods.
		base := current
		if n, err := strconv.ParseInt(from, 10, 32); scaled && err == nil {
			base = int32(n)
		}
		w.Replicas = max(0, base-c.st.AvailableReplicas)
	}
	if w.Replicas < current && !scaled {
		w.Annotations[v1alpha1.ScaledDownFromAnnotation] = ptr.To(strconv.Itoa(int(current)))
		w.Annotations[v1alpha1.ScaledDownByAnnotation] = ptr.To(c.ro.Name)
	}
	if w.Replicas == current && len(w.Annotations) == 0 {
		return
	}
	if w.Replicas != current {
		why := fmt.Sprintf("workloadRef.scaleDown: %s", mode)
		if done {
			why = "kept at 0 since the Rollout took over: something restored its replicas (a GitOps sync of its manifest?)"
		}
		c.p.note(v1alpha1.ReasonWorkloadScaledDown, fmt.Sprintf("Deployment %s scaled from %d to %d (%s)", dep.Name, current, w.Replicas, why))
	}
	c.p.Workload = w
}

// ScaleDownOrNever is workloadRef.scaleDown with its default.
func ScaleDownOrNever(mode string) string {
	if mode == "" {
		return v1alpha1.ScaleDownNever
	}
	return mode
}

// WorkloadRestore is what a deleted Rollout does to a Deployment it scaled down before it lets
// go: its replicas back (the Rollout's, for the Deployment it still names; what it had, for
// one it named before), ramp's annotations removed (nil: nothing to do), and whether it may let
// go now: the Deployment has them available, or the progress deadline since the deletion
// passed (a Deployment that cannot become available must not hold the Rollout forever).
func WorkloadRestore(ro *v1alpha1.Rollout, dep *appsv1.Deployment, now time.Time) (*WorkloadScale, bool) {
	if dep == nil {
		return nil, true
	}
	if from, scaled := dep.Annotations[v1alpha1.ScaledDownFromAnnotation]; scaled {
		replicas := ro.DesiredReplicas()
		if ref := ro.Spec.WorkloadRef; ref == nil || ref.Name != dep.Name {
			if n, err := strconv.ParseInt(from, 10, 32); err == nil {
				replicas = int32(n)
			}
		}
		return &WorkloadScale{Name: dep.Name, Replicas: max(replicas, ptr.Deref(dep.Spec.Replicas, 1)), Annotations: map[string]*string{
			v1alpha1.ScaledDownFromAnnotation: nil, v1alpha1.ScaledDownAtAnnotation: nil, v1alpha1.ScaledDownByAnnotation: nil,
		}}, false
	}
	want := ptr.Deref(dep.Spec.Replicas, 1)
	available := dep.Status.ObservedGeneration >= dep.Generation && dep.Status.AvailableReplicas >= want
	deadline := ro.DeletionTimestamp != nil && now.After(ro.DeletionTimestamp.Add(ro.ProgressDeadline()))
	return nil, available || deadline
}

// RestoreNote is the timeline's line for a deleted Rollout's restore.
func (w *WorkloadScale) RestoreNote() Note {
	return Note{Reason: v1alpha1.ReasonWorkloadRestored,
		Message: fmt.Sprintf("Deployment %s scaled to %d: the Rollout is being deleted, and goes once they are available", w.Name, w.Replicas)}
}

// ScaledDownBy reports whether ramp scaled dep down for the Rollout ro.
func ScaledDownBy(ro *v1alpha1.Rollout, dep *appsv1.Deployment) bool {
	return dep.Annotations[v1alpha1.ScaledDownByAnnotation] == ro.Name
}
