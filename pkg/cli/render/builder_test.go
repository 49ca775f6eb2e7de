package render

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// now is the fixed clock of every fixture.
var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) metav1.Time { return metav1.NewTime(now.Add(-d)) }

const day = 24 * time.Hour

func newRollout(namespace, name string, age time.Duration, replicas int32, image string, strategy v1alpha1.RolloutStrategy) *v1alpha1.Rollout {
	return &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, UID: types.UID("uid-" + name), CreationTimestamp: ago(age)},
		Spec: v1alpha1.RolloutSpec{
			Replicas: ptr.To(replicas),
			Template: podTemplate(image),
			Strategy: strategy,
		},
	}
}

func podTemplate(image string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}}}
}

func canary(steps ...v1alpha1.CanaryStep) v1alpha1.RolloutStrategy {
	return v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{Steps: steps}}
}

func setWeightStep(w int32) v1alpha1.CanaryStep { return v1alpha1.CanaryStep{SetWeight: ptr.To(w)} }

func pauseStep(d *intstr.IntOrString) v1alpha1.CanaryStep {
	return v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{Duration: d}}
}

func analysisStep(templates ...string) v1alpha1.CanaryStep {
	return v1alpha1.CanaryStep{Analysis: analysis(templates...)}
}

func analysis(templates ...string) *v1alpha1.RolloutAnalysis {
	a := &v1alpha1.RolloutAnalysis{}
	for _, t := range templates {
		a.Templates = append(a.Templates, v1alpha1.AnalysisTemplateRef{TemplateName: t})
	}
	return a
}

// revision is one ReplicaSet of a fixture.
type revision struct {
	hash           string
	number         int
	image          string
	desired, ready int32
	age            time.Duration
}

func replicaSet(ro *v1alpha1.Rollout, r revision) appsv1.ReplicaSet {
	name := ro.Name + "-" + r.hash
	rs := appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ro.Namespace, Name: name, UID: types.UID("uid-" + name), CreationTimestamp: ago(r.age),
			Labels:          map[string]string{v1alpha1.PodTemplateHashLabel: r.hash},
			Annotations:     map[string]string{v1alpha1.RevisionAnnotation: fmt.Sprint(r.number)},
			OwnerReferences: []metav1.OwnerReference{controllerRef("Rollout", ro.Name, ro.UID)},
		},
		Spec:   appsv1.ReplicaSetSpec{Replicas: ptr.To(r.desired), Template: podTemplate(r.image)},
		Status: appsv1.ReplicaSetStatus{Replicas: r.ready, ReadyReplicas: r.ready, AvailableReplicas: r.ready},
	}
	return rs
}

func controllerRef(kind, name string, uid types.UID) metav1.OwnerReference {
	return metav1.OwnerReference{Kind: kind, Name: name, UID: uid, Controller: ptr.To(true)}
}

// runningPod is a ready pod of rs.
func runningPod(rs appsv1.ReplicaSet, suffix string, age time.Duration, restarts int32) corev1.Pod {
	pod := newPod(rs, suffix, age)
	pod.Status = corev1.PodStatus{
		Phase: corev1.PodRunning,
		ContainerStatuses: []corev1.ContainerStatus{{
			Name: "app", Ready: true, RestartCount: restarts,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
		}},
	}
	return pod
}

// waitingPod is a pod of rs whose container waits for reason.
func waitingPod(rs appsv1.ReplicaSet, suffix string, age time.Duration, reason string, restarts int32) corev1.Pod {
	pod := newPod(rs, suffix, age)
	pod.Status = corev1.PodStatus{
		Phase: corev1.PodRunning,
		ContainerStatuses: []corev1.ContainerStatus{{
			Name: "app", RestartCount: restarts,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}},
		}},
	}
	return pod
}

func newPod(rs appsv1.ReplicaSet, suffix string, age time.Duration) corev1.Pod {
	return corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: rs.Namespace, Name: rs.Name + "-" + suffix, CreationTimestamp: ago(age),
			Labels:          map[string]string{v1alpha1.PodTemplateHashLabel: rs.Labels[v1alpha1.PodTemplateHashLabel]},
			OwnerReferences: []metav1.OwnerReference{controllerRef("ReplicaSet", rs.Name, rs.UID)},
		},
		Spec: rs.Spec.Template.Spec,
	}
}

// analysisRun is a run of the revision hash, named as the controller names it.
func analysisRun(ro *v1alpha1.Rollout, hash, kind string, age time.Duration, status v1alpha1.AnalysisRunStatus) v1alpha1.AnalysisRun {
	return v1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ro.Namespace, Name: fmt.Sprintf("%s-%s-%s-0", ro.Name, hash, kind), CreationTimestamp: ago(age),
			Labels:          map[string]string{v1alpha1.PodTemplateHashLabel: hash},
			OwnerReferences: []metav1.OwnerReference{controllerRef("Rollout", ro.Name, ro.UID)},
		},
		Status: status,
	}
}

// metricResult is a metric with one measurement per value and the given counts.
func metricResult(name string, phase v1alpha1.AnalysisPhase, ok, failed int32, values ...string) v1alpha1.MetricResult {
	m := v1alpha1.MetricResult{Name: name, Phase: phase, Count: int32(len(values)), Successful: ok, Failed: failed}
	for _, v := range values {
		m.Measurements = append(m.Measurements, v1alpha1.Measurement{Phase: v1alpha1.AnalysisPhaseSuccessful, Value: v})
	}
	return m
}
