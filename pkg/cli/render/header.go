package render

import (
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/cli/style"
	"github.com/ramp-dev/ramp/pkg/plan"
	"github.com/ramp-dev/ramp/pkg/workload"
)

// writeHeader writes the "Key:  value" block at the top of `get rollout`.
func writeHeader(b *strings.Builder, t Tree, p style.Painter) {
	ro := t.Rollout
	h := style.Table{Gap: 2}
	field := func(key string, value style.Cell) { h.Add(style.Text(key+":"), value) }

	field("Name", p.BoldCell(ro.Name))
	field("Namespace", style.Text(ro.Namespace))
	status := phaseCell(p, ro.Status.Phase)
	if ro.Status.Message != "" {
		status = style.Concat(status, style.Text(" — "+ro.Status.Message))
	}
	field("Status", status)
	if c := meta.FindStatusCondition(ro.Status.Conditions, v1alpha1.ConditionReconcileError); c != nil && c.Status == metav1.ConditionTrue {
		since := style.Since(c.LastTransitionTime.Time, t.Now)
		field("Error", style.Concat(p.Cell(style.Bad, style.SymbolFailed+" "+c.Message), style.Text(" (failing for "+since+"; the controller retries)")))
	}
	field("Strategy", style.Text(strategyName(ro)))
	switch {
	case ro.Spec.Strategy.Canary != nil:
		c := progressOf(ro)
		field("  Step", style.Text(c.label()))
		field("  SetWeight", style.Text(fmt.Sprint(setWeight(ro, c))))
		field("  ActualWeight", style.Text(actualWeight(ro)))
	case ro.Spec.Strategy.BlueGreen != nil:
		field("  ActiveSelector", style.Text(orDefault(ro.Status.BlueGreen.ActiveSelector, "-")))
		field("  PreviewSelector", style.Text(orDefault(ro.Status.BlueGreen.PreviewSelector, "-")))
	}
	images := imagesOf(ro, t.ReplicaSets)
	if len(images) == 0 {
		field("Images", style.Text("-"))
	}
	for i, img := range images {
		key := "Images:"
		if i > 0 {
			key = ""
		}
		h.Add(style.Text(key), style.Text(img))
	}
	if ref := ro.Spec.WorkloadRef; ref != nil {
		field("Workload", workloadCell(p, ref, t.Workload, t.Now))
	}
	st := ro.Status
	field("Replicas", style.Text(fmt.Sprintf("Desired: %d  Current: %d  Updated: %d  Ready: %d  Available: %d",
		desiredReplicas(ro), st.Replicas, st.UpdatedReplicas, st.ReadyReplicas, st.AvailableReplicas)))
	h.WriteTo(b)
}

var roleOrder = []string{"stable", "canary", "active", "preview"}

// imagesOf lists the images of the Rollout's template, then those only earlier revisions still
// run, each tagged with the roles of the revisions that run it: "web:1.4 (canary)".
func imagesOf(ro *v1alpha1.Rollout, rss []appsv1.ReplicaSet) []string {
	var names []string
	roles := map[string][]string{}
	add := func(image string, rs []string) {
		if image == "" {
			return
		}
		if _, seen := roles[image]; !seen {
			names = append(names, image)
			roles[image] = nil
		}
		for _, r := range rs {
			if !slices.Contains(roles[image], r) {
				roles[image] = append(roles[image], r)
			}
		}
	}
	for _, c := range ro.Spec.Template.Spec.Containers {
		add(c.Image, nil)
	}
	for _, rs := range newestFirst(rss) {
		rsRoles := rolesOf(ro, workload.HashOf(&rs))
		if len(rsRoles) == 0 {
			continue
		}
		for _, c := range rs.Spec.Template.Spec.Containers {
			add(c.Image, rsRoles)
		}
	}
	out := make([]string, 0, len(names))
	for _, image := range names {
		r := roles[image]
		slices.SortFunc(r, func(a, b string) int { return slices.Index(roleOrder, a) - slices.Index(roleOrder, b) })
		if len(r) > 0 {
			image += " (" + strings.Join(r, ", ") + ")"
		}
		out = append(out, image)
	}
	return out
}

// workloadCell says which Deployment the Rollout releases and what ramp does with its pods:
// "Deployment api (scaleDown: onsuccess): 0 replicas, kept at 0 since 5m (had 3)".
func workloadCell(p style.Painter, ref *v1alpha1.WorkloadRef, dep *appsv1.Deployment, now time.Time) style.Cell {
	head := fmt.Sprintf("Deployment %s (scaleDown: %s)", ref.Name, plan.ScaleDownOrNever(ref.ScaleDown))
	if dep == nil {
		return style.Concat(style.Text(head+": "), p.Cell(style.Bad, style.SymbolFailed+" not found"))
	}
	replicas := ptr.Deref(dep.Spec.Replicas, 1)
	text := fmt.Sprintf("%s: %d replicas, %d available", head, replicas, dep.Status.AvailableReplicas)
	if at, err := time.Parse(time.RFC3339, dep.Annotations[v1alpha1.ScaledDownAtAnnotation]); err == nil {
		text += fmt.Sprintf(", kept at 0 since %s", style.Since(at, now))
	}
	if from := dep.Annotations[v1alpha1.ScaledDownFromAnnotation]; from != "" {
		text += fmt.Sprintf(" (had %s)", from)
	}
	return style.Text(text)
}
