package workload

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

func template(image string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: image}}},
	}
}

func TestTemplateHash(t *testing.T) {
	a, b := template("nginx:1.27"), template("nginx:1.28")
	ha, _ := TemplateHash(&a, nil)
	again, _ := TemplateHash(&a, nil)
	hb, _ := TemplateHash(&b, nil)
	hc, _ := TemplateHash(&a, ptr.To[int32](1))
	if ha != again {
		t.Errorf("same template hashed twice: %q then %q", ha, again)
	}
	if ha == hb {
		t.Errorf("different images share hash %q", ha)
	}
	if ha == hc {
		t.Errorf("a collision count does not change the hash %q", ha)
	}
	// A golden value: the hash names ReplicaSets and labels pods in users' clusters, so a
	// change of algorithm would restart every Rollout on upgrade. Change it only on purpose.
	if ha != "547f8866c6" {
		t.Errorf("hash of the reference template changed: %q", ha)
	}
}

func TestNewReplicaSet(t *testing.T) {
	ro := &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", UID: "uid-1"},
		Spec: v1alpha1.RolloutSpec{
			MinReadySeconds: 5,
			Selector:        &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template:        template("nginx:1.27"),
		},
	}
	rs := NewReplicaSet(ro, "abc123", 3, 4)

	if rs.Name != "web-abc123" || rs.Namespace != "shop" {
		t.Errorf("name %s/%s, want shop/web-abc123", rs.Namespace, rs.Name)
	}
	for what, labels := range map[string]map[string]string{
		"pod labels": rs.Spec.Template.Labels, "selector": rs.Spec.Selector.MatchLabels, "labels": rs.Labels,
	} {
		if labels[v1alpha1.PodTemplateHashLabel] != "abc123" || labels["app"] != "web" {
			t.Errorf("%s = %v, want app=web and the hash label", what, labels)
		}
	}
	if ro.Spec.Template.Labels[v1alpha1.PodTemplateHashLabel] != "" || ro.Spec.Selector.MatchLabels[v1alpha1.PodTemplateHashLabel] != "" {
		t.Error("NewReplicaSet changed the Rollout")
	}
	if Revision(rs) != 3 || HashOf(rs) != "abc123" {
		t.Errorf("revision %d hash %q, want 3 and abc123", Revision(rs), HashOf(rs))
	}
	if *rs.Spec.Replicas != 4 || rs.Spec.MinReadySeconds != 5 {
		t.Errorf("replicas %d minReadySeconds %d, want 4 and 5", *rs.Spec.Replicas, rs.Spec.MinReadySeconds)
	}
	owner := metav1.GetControllerOf(rs)
	if owner == nil || owner.UID != "uid-1" || owner.Kind != "Rollout" || !ptr.Deref(owner.BlockOwnerDeletion, false) {
		t.Errorf("controller reference = %+v, want the Rollout blocking deletion", owner)
	}
}

func TestRevisionOfForeignReplicaSet(t *testing.T) {
	rs := NewReplicaSet(&v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "web"}}, "h", 1, 1)
	rs.Annotations[v1alpha1.RevisionAnnotation] = "not-a-number"
	if Revision(rs) != 0 {
		t.Errorf("a bad revision annotation must read as 0, got %d", Revision(rs))
	}
}

func TestChangeMetadata(t *testing.T) {
	canary := v1alpha1.PodTemplateMetadata{Labels: map[string]string{"role": "canary", "track": "x"}}
	stable := v1alpha1.PodTemplateMetadata{Labels: map[string]string{"role": "stable"}, Annotations: map[string]string{"a": "1"}}
	c := ChangeMetadata(canary, stable)
	if *c.Labels["role"] != "stable" || c.Labels["track"] != nil || *c.Annotations["a"] != "1" || len(c.Labels) != 2 {
		t.Errorf("canary -> stable change = labels %v annotations %v", c.Labels, c.Annotations)
	}
	if c := ChangeMetadata(stable, stable); c.Labels != nil || c.Annotations != nil {
		t.Errorf("no change expected, got %+v", c)
	}
}

func TestMetadataRecordRoundTrip(t *testing.T) {
	rs := NewReplicaSet(&v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: v1alpha1.RolloutSpec{Template: template("a")}}, "h", 1, 1)
	md := v1alpha1.PodTemplateMetadata{Labels: map[string]string{"role": "canary"}, Annotations: map[string]string{"note": "x"}}
	WithMetadata(rs, md)
	if rs.Spec.Template.Labels["role"] != "canary" || rs.Spec.Template.Labels["app"] != "web" || rs.Spec.Template.Annotations["note"] != "x" {
		t.Errorf("template metadata %v %v", rs.Spec.Template.Labels, rs.Spec.Template.Annotations)
	}
	if got := EphemeralOf(rs); !SameMetadata(got, md) {
		t.Errorf("recorded %+v, want %+v", got, md)
	}
	rs.Annotations[EphemeralMetadataAnnotation] = "{broken"
	if got := EphemeralOf(rs); len(got.Labels) != 0 {
		t.Errorf("a broken record must read as none, got %+v", got)
	}
}

// The template recorded on a ReplicaSet hashes to the ReplicaSet's revision even once the API
// server has defaulted the ReplicaSet's own copy: that is what lets undo find the revision.
func TestRecordedTemplateHashesToTheRevision(t *testing.T) {
	ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "web"}}
	ro.Spec.Template = template("nginx:1.27")
	hash, _ := TemplateHash(&ro.Spec.Template, nil)
	rs := NewReplicaSet(ro, hash, 1, 1)
	rs.Spec.Template.Spec.Containers[0].TerminationMessagePath = "/dev/termination-log" // as defaulted

	recorded, ok := RecordedTemplate(rs)
	if !ok {
		t.Fatal("no template recorded on the ReplicaSet")
	}
	if got, _ := TemplateHash(&recorded, nil); got != hash {
		t.Errorf("recorded template hashes to %s, want the revision's %s", got, hash)
	}
	delete(rs.Annotations, v1alpha1.TemplateAnnotation)
	if _, ok := RecordedTemplate(rs); ok {
		t.Error("a ReplicaSet without the annotation has no recorded template")
	}
}
