package action

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/workload"
)

// jsonPatch is an RFC 6902 patch that first tests the resourceVersion the decision was made on.
func jsonPatch(ro *v1alpha1.Rollout, ops ...map[string]any) []byte {
	all := append([]map[string]any{{"op": "test", "path": "/metadata/resourceVersion", "value": ro.ResourceVersion}}, ops...)
	data, _ := json.Marshal(all) // plain values and API types: cannot fail
	return data
}

// Undo puts the pod template of an earlier revision back into the Rollout. toRevision 0 means
// the revision before the current one. replicaSets are the Rollout's own.
func Undo(ro *v1alpha1.Rollout, replicaSets []appsv1.ReplicaSet, toRevision int64) (Change, error) {
	if err := templateInDeployment(ro); err != nil {
		return Change{}, err
	}
	byRevision := map[int64]*appsv1.ReplicaSet{}
	var current int64
	for i := range replicaSets {
		rs := &replicaSets[i]
		n := workload.Revision(rs)
		if n == 0 {
			continue
		}
		byRevision[n] = rs
		if workload.HashOf(rs) == ro.Status.CurrentPodHash {
			current = n
		}
	}
	revisions := slices.Sorted(maps.Keys(byRevision))
	if toRevision == 0 {
		for _, n := range slices.Backward(revisions) {
			if n < current || current == 0 && n < revisions[len(revisions)-1] {
				toRevision = n
				break
			}
		}
		if toRevision == 0 {
			return Change{}, wrongState("%s has no earlier revision to go back to (revisions: %s)", ref(ro), list(revisions))
		}
	}
	rs, ok := byRevision[toRevision]
	if !ok {
		return Change{}, wrongState("%s has no revision %d; its revisions are %s (kubectl ramp get rollout %s)", ref(ro), toRevision, list(revisions), ro.Name)
	}
	tpl, exact := templateOf(rs)
	if equality.Semantic.DeepEqual(tpl, ro.Spec.Template) || toRevision == current {
		return Change{}, wrongState("%s already runs the template of revision %d", ref(ro), toRevision)
	}
	c := Change{
		Type:  types.JSONPatchType,
		Patch: jsonPatch(ro, map[string]any{"op": "replace", "path": "/spec/template", "value": tpl}),
		Done:  fmt.Sprintf("%s rolled back to the template of revision %d (%s)", ref(ro), toRevision, workload.HashOf(rs)),
	}
	if workload.HashOf(rs) == ro.Status.StableRS {
		c.Done += ": the stable revision, back at full scale at once"
	}
	if !exact {
		c.Warning = fmt.Sprintf("ReplicaSet %s does not record the template as written, only the API server's defaulted copy: the controller may see it as a new revision and run the steps", rs.Name)
	}
	return c, nil
}

// templateOf is the revision's template as the Rollout had it; without the record, the
// ReplicaSet's own copy less what ramp added to it (exact false).
func templateOf(rs *appsv1.ReplicaSet) (corev1.PodTemplateSpec, bool) {
	if tpl, ok := workload.RecordedTemplate(rs); ok {
		return tpl, true
	}
	tpl := *rs.Spec.Template.DeepCopy()
	delete(tpl.Labels, v1alpha1.PodTemplateHashLabel)
	side := workload.EphemeralOf(rs)
	for k := range side.Labels {
		delete(tpl.Labels, k)
	}
	for k := range side.Annotations {
		delete(tpl.Annotations, k)
	}
	return tpl, false
}

func list(revisions []int64) string {
	if len(revisions) == 0 {
		return "none yet"
	}
	s := make([]string, len(revisions))
	for i, n := range revisions {
		s[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(s, ", ")
}

// templateInDeployment refuses to edit the template of a Rollout that takes it from a
// Deployment (workloadRef): the change belongs there, where ramp picks it up.
func templateInDeployment(ro *v1alpha1.Rollout) error {
	w := ro.Spec.WorkloadRef
	if w == nil {
		return nil
	}
	return fmt.Errorf("%s takes its pod template from Deployment %s (workloadRef): change the Deployment "+
		"(kubectl set image deployment/%s CONTAINER=IMAGE, or in Git), and ramp releases it", ref(ro), w.Name, w.Name)
}

// SetImage sets container images: each assignment is CONTAINER=IMAGE, or *=IMAGE for every
// container (init containers included, as kubectl set image does).
func SetImage(ro *v1alpha1.Rollout, assignments []string) (Change, error) {
	if len(assignments) == 0 {
		return Change{}, fmt.Errorf("set image needs at least one CONTAINER=IMAGE")
	}
	if err := templateInDeployment(ro); err != nil {
		return Change{}, err
	}
	spec := ro.Spec.Template.Spec
	var ops []map[string]any
	var done []string
	for _, a := range assignments {
		name, image, ok := strings.Cut(a, "=")
		if !ok || name == "" || image == "" {
			return Change{}, fmt.Errorf("%q is not CONTAINER=IMAGE", a)
		}
		found := false
		for _, group := range []struct {
			path       string
			containers []corev1.Container
		}{{"containers", spec.Containers}, {"initContainers", spec.InitContainers}} {
			for i, c := range group.containers {
				if name != "*" && c.Name != name {
					continue
				}
				found = true
				if c.Image == image {
					continue
				}
				path := fmt.Sprintf("/spec/template/spec/%s/%d", group.path, i)
				ops = append(ops,
					map[string]any{"op": "test", "path": path + "/name", "value": c.Name},
					map[string]any{"op": "replace", "path": path + "/image", "value": image})
				done = append(done, fmt.Sprintf("%s=%s", c.Name, image))
			}
		}
		if !found {
			return Change{}, fmt.Errorf("%s has no container %q; its containers are %s", ref(ro), name, containerNames(spec))
		}
	}
	if len(ops) == 0 {
		return Change{}, wrongState("%s already runs %s", ref(ro), strings.Join(assignments, ", "))
	}
	return Change{Type: types.JSONPatchType, Patch: jsonPatch(ro, ops...),
		Done: fmt.Sprintf("%s image updated: %s", ref(ro), strings.Join(done, ", "))}, nil
}

func containerNames(spec corev1.PodSpec) string {
	var names []string
	for _, c := range append(slices.Clone(spec.Containers), spec.InitContainers...) {
		names = append(names, c.Name)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
