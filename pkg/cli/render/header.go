package render

import (
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/cli/style"
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
