package controllers

import (
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

	ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "web", ManagedFields: managed, Annotations: annotations}}
	if _, err := slim(false)(ro); err != nil {
		t.Fatal(err)
	}
	if len(ro.ManagedFields) != 1 || ro.Annotations[lastAppliedAnnotation] != "" || ro.Annotations["team"] != "shop" {
		t.Errorf("cached Rollout %+v: want its managedFields (they name who aborted) without the last-applied copy", ro.ObjectMeta)
	}
}
