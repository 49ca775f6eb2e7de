package controllers

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

func TestCachedObjectsAreSlim(t *testing.T) {
	managed := []metav1.ManagedFieldsEntry{{Manager: "kubectl-ramp", Subresource: "status"}}
	annotations := map[string]string{lastAppliedAnnotation: `{"huge":"copy"}`, "team": "shop"}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", ManagedFields: managed, Annotations: map[string]string{lastAppliedAnnotation: "{}", "team": "shop"}},
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Port: 80}}, ClusterIP: "10.0.0.1"},
		Status:     corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: "1.2.3.4"}}}},
	}
	out, err := selectorOnly(svc)
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*corev1.Service)
	if got.Spec.Selector["app"] != "web" || len(got.Spec.Ports) != 0 || got.Spec.ClusterIP != "" || len(got.Status.LoadBalancer.Ingress) != 0 ||
		got.ManagedFields != nil || got.Annotations[lastAppliedAnnotation] != "" || got.Annotations["team"] != "shop" || got.Name != "web" {
		t.Errorf("cached Service %+v: want its metadata (slimmed) and selector only", got)
	}

	fields := func(raw string) *metav1.FieldsV1 { return &metav1.FieldsV1{Raw: []byte(raw)} }
	ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "web", Annotations: annotations, ManagedFields: []metav1.ManagedFieldsEntry{
		{Manager: "kubectl", FieldsV1: fields(`{"f:spec":{"f:replicas":{}}}`)},
		{Manager: "kubectl-ramp", Subresource: "status", FieldsV1: fields(`{"f:status":{"f:abort":{},"f:promote":{}}}`)},
		{Manager: "ramp-controller", Subresource: "status", FieldsV1: fields(`{"f:status":{"f:phase":{},"f:conditions":{}}}`)},
		{Manager: "ci-bot", Subresource: "status", FieldsV1: fields(`{"f:status":{"f:abort":{}}}`)},
	}}}
	if _, err := slimRollout(ro); err != nil {
		t.Fatal(err)
	}
	var owners []string
	for _, mf := range ro.ManagedFields {
		owners = append(owners, mf.Manager)
		if string(mf.FieldsV1.Raw) != string(abortOwnership) {
			t.Errorf("kept entry of %s holds %s, want only status.abort", mf.Manager, mf.FieldsV1.Raw)
		}
	}
	if strings.Join(owners, ",") != "kubectl-ramp,ci-bot" {
		t.Errorf("kept managedFields of %v, want those that own status.abort, in order (kubectl-ramp,ci-bot)", owners)
	}
	if ro.Annotations[lastAppliedAnnotation] != "" || ro.Annotations["team"] != "shop" {
		t.Errorf("cached Rollout annotations %v: want the last-applied copy gone, the rest kept", ro.Annotations)
	}
}
