package plan

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// Only an orphan the selector matches, with a revision hash and not being deleted, may be
// adopted; a ReplicaSet another controller owns never is.
func TestSplitReplicaSets(t *testing.T) {
	ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "web", UID: "ro-uid"}}
	ro.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	rs := func(name string, labels map[string]string, owner string, deleting bool) *appsv1.ReplicaSet {
		r := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
		if owner != "" {
			r.OwnerReferences = []metav1.OwnerReference{{UID: "x", Name: owner, Controller: ptrTrue()}}
			if owner == "web" {
				r.OwnerReferences[0].UID = ro.UID
			}
		}
		if deleting {
			now := metav1.Now()
			r.DeletionTimestamp = &now
		}
		return r
	}
	hashed := map[string]string{"app": "web", v1alpha1.PodTemplateHashLabel: "abc"}
	owned, orphans := SplitReplicaSets(ro, []*appsv1.ReplicaSet{
		rs("mine", hashed, "web", false),
		rs("orphan", hashed, "", false),
		rs("other-owner", hashed, "deploy", false),
		rs("no-hash", map[string]string{"app": "web"}, "", false),
		rs("deleting", hashed, "", true),
		rs("other-app", map[string]string{"app": "db", v1alpha1.PodTemplateHashLabel: "abc"}, "", false),
	})
	if len(owned) != 1 || owned[0].Name != "mine" || len(orphans) != 1 || orphans[0].Name != "orphan" {
		t.Errorf("owned %v, orphans %v: want [mine] and [orphan]", names(owned), names(orphans))
	}
	ro.Spec.Selector = &metav1.LabelSelector{}
	if _, orphans := SplitReplicaSets(ro, []*appsv1.ReplicaSet{rs("orphan", hashed, "", false)}); len(orphans) != 0 {
		t.Errorf("an empty selector adopts %v: want nothing", names(orphans))
	}
}

// A create that finds its name taken by the Rollout's own ReplicaSet of that revision is the
// cache lagging; anything else in the way is a collision.
func TestCreatedButNotCached(t *testing.T) {
	ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "web", UID: "ro-uid"}}
	want := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web-abc", Labels: map[string]string{v1alpha1.PodTemplateHashLabel: "abc"}}}
	ours := want.DeepCopy()
	ours.OwnerReferences = []metav1.OwnerReference{{UID: ro.UID, Controller: ptrTrue()}}
	if !CreatedButNotCached(ro, want, ours) {
		t.Error("our own ReplicaSet of the revision: want the cache to catch up, not a collision")
	}
	other := ours.DeepCopy()
	other.Labels[v1alpha1.PodTemplateHashLabel] = "xyz"
	foreign := want.DeepCopy()
	for _, existing := range []*appsv1.ReplicaSet{other, foreign} {
		if CreatedButNotCached(ro, want, existing) {
			t.Errorf("%+v in the way: want a collision", existing.ObjectMeta)
		}
	}
}

func ptrTrue() *bool { v := true; return &v }

func names(rss []*appsv1.ReplicaSet) []string {
	var out []string
	for _, rs := range rss {
		out = append(out, rs.Name)
	}
	return out
}
