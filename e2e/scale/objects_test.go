//go:build scale

package scale

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// progressingSteps are the routine rollouts: setWeight 25, pause 5s, setWeight 50,
// pause 5s (10 s of pauses per release).
var progressingSteps = []v1alpha1.CanaryStep{
	{SetWeight: ptr.To[int32](25)}, {Pause: &v1alpha1.RolloutPause{Duration: ptr.To(intstr.FromString("5s"))}},
	{SetWeight: ptr.To[int32](50)}, {Pause: &v1alpha1.RolloutPause{Duration: ptr.To(intstr.FromString("5s"))}},
}

const pausesPerRelease = 10 // seconds of pause steps in progressingSteps

func podTemplate(app, image string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
		// The port is where podserve answers for the pods (the abort target's requests).
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: image,
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 80}}}}},
	}
}

func rollout(ns, name string, replicas int32, steps []v1alpha1.CanaryStep) *v1alpha1.Rollout {
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.RolloutSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: podTemplate(name, "web:0"),
			Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{
				Steps: steps, MaxSurge: ptr.To(intstr.FromInt32(1)), MaxUnavailable: ptr.To(intstr.FromInt32(0)),
			}},
		},
	}
}

// deployment is the floor: the same pods, released by a plain Deployment.
func deployment(ns, name string, replicas int32) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: podTemplate(name, "web:0"),
			Strategy: appsv1.DeploymentStrategy{RollingUpdate: &appsv1.RollingUpdateDeployment{
				MaxSurge: ptr.To(intstr.FromInt32(1)), MaxUnavailable: ptr.To(intstr.FromInt32(0)),
			}},
		},
	}
}

// abortTarget is the Rollout aborted over and over: NGINX-routed, paused at weight 50.
func abortTarget(ns string) (*v1alpha1.Rollout, []any) {
	ro := rollout(ns, "target", 2, []v1alpha1.CanaryStep{{SetWeight: ptr.To[int32](50)}, {Pause: &v1alpha1.RolloutPause{}}})
	c := ro.Spec.Strategy.Canary
	c.StableService, c.CanaryService = "target-stable", "target-canary"
	c.TrafficRouting = &v1alpha1.RolloutTrafficRouting{Nginx: &v1alpha1.NginxTrafficRouting{StableIngress: "target"}}
	svc := func(name string) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "target"}, Ports: []corev1.ServicePort{{Name: "http", Port: 80}},
		}}
	}
	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "target"},
		Spec: networkingv1.IngressSpec{IngressClassName: ptr.To("nginx"), Rules: []networkingv1.IngressRule{{
			Host: "target.example.com",
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
				Path: "/", PathType: ptr.To(networkingv1.PathTypePrefix),
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "target-stable", Port: networkingv1.ServiceBackendPort{Number: 80}}},
			}}}},
		}}},
	}
	return ro, []any{svc("target-stable"), svc("target-canary"), ing}
}

// unrelatedReplicaSet is a ReplicaSet that is not ramp's, as a cluster's Deployments have.
func unrelatedReplicaSet(ns string, i int) *appsv1.ReplicaSet {
	name := fmt.Sprintf("other-%d", i)
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": name, "pod-template-hash": "abc"}},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To[int32](0),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: podTemplate(name, "web:0"),
		},
	}
}
