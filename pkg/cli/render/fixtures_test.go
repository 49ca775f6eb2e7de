package render

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// pausedCanary: paused until promoted at step 3/5 after a passed analysis, a stable pod
// crash-looping.
func pausedCanary() Tree {
	ro := newRollout("shop", "web", 26*day, 5, "ghcr.io/acme/web:1.4.0", canary(
		setWeightStep(20),
		analysisStep("error-rate", "latency-p99"),
		pauseStep(nil),
		setWeightStep(50),
		pauseStep(ptr.To(intstr.FromString("10m"))),
	))
	ro.Status = v1alpha1.RolloutStatus{
		Phase: v1alpha1.RolloutPhasePaused, Message: "step 3/5: paused until promoted",
		CurrentPodHash: "6b8f9c7d5", StableRS: "7c9d8e6f4", CurrentStepIndex: ptr.To(int32(2)),
		Replicas: 6, UpdatedReplicas: 1, ReadyReplicas: 5, AvailableReplicas: 5,
		Canary: v1alpha1.CanaryStatus{Weights: &v1alpha1.TrafficWeights{
			Canary: v1alpha1.WeightDestination{Weight: 20, PodTemplateHash: "6b8f9c7d5"},
			Stable: v1alpha1.WeightDestination{Weight: 80, PodTemplateHash: "7c9d8e6f4"},
		}},
	}
	newRS := replicaSet(ro, revision{hash: "6b8f9c7d5", number: 7, image: "ghcr.io/acme/web:1.4.0", desired: 1, ready: 1, age: 6 * time.Minute})
	stableRS := replicaSet(ro, revision{hash: "7c9d8e6f4", number: 6, image: "ghcr.io/acme/web:1.3.2", desired: 5, ready: 4, age: 3 * day})
	return Tree{
		Rollout:     ro,
		ReplicaSets: []appsv1.ReplicaSet{stableRS, newRS},
		Pods: []corev1.Pod{
			runningPod(stableRS, "wq8zt", 3*day, 0),
			runningPod(stableRS, "8kd2n", 3*day, 2),
			waitingPod(stableRS, "j5r7m", 41*time.Minute, "CrashLoopBackOff", 7),
			runningPod(newRS, "x2k4p", 6*time.Minute, 0),
			runningPod(stableRS, "b9v6c", 3*day, 0),
			runningPod(stableRS, "fm3hq", 3*day, 0),
		},
		Runs: []v1alpha1.AnalysisRun{
			analysisRun(ro, "6b8f9c7d5", "1", 5*time.Minute, v1alpha1.AnalysisRunStatus{
				Phase: v1alpha1.AnalysisPhaseSuccessful, Message: "2 metrics successful",
				MetricResults: []v1alpha1.MetricResult{
					metricResult("error-rate", v1alpha1.AnalysisPhaseSuccessful, 3, 0, "0.009", "0.014", "0.012"),
					metricResult("latency-p99", v1alpha1.AnalysisPhaseSuccessful, 3, 0, "212.4", "240.1", "231.5"),
				},
			}),
			analysisRun(ro, "7c9d8e6f4", "1", 3*day, v1alpha1.AnalysisRunStatus{
				Phase: v1alpha1.AnalysisPhaseSuccessful, Message: "2 metrics successful",
				MetricResults: []v1alpha1.MetricResult{
					metricResult("error-rate", v1alpha1.AnalysisPhaseSuccessful, 3, 0, "0.004", "0.006", "0.005"),
					metricResult("latency-p99", v1alpha1.AnalysisPhaseSuccessful, 3, 0, "198.0", "205.7", "201.2"),
				},
			}),
		},
		Now: now,
	}
}

// healthyCanary: no steps, fully rolled out, two older revisions scaled down.
func healthyCanary() Tree {
	ro := newRollout("shop", "api", 40*day, 3, "ghcr.io/acme/api:2.3.1", canary())
	ro.Status = v1alpha1.RolloutStatus{
		Phase: v1alpha1.RolloutPhaseHealthy, CurrentPodHash: "5d4c3b2a1", StableRS: "5d4c3b2a1",
		Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: 3, AvailableReplicas: 3,
	}
	current := replicaSet(ro, revision{hash: "5d4c3b2a1", number: 3, image: "ghcr.io/acme/api:2.3.1", desired: 3, ready: 3, age: 2 * day})
	return Tree{
		Rollout: ro,
		ReplicaSets: []appsv1.ReplicaSet{
			replicaSet(ro, revision{hash: "9f8e7d6c5", number: 1, image: "ghcr.io/acme/api:2.2.0", age: 40 * day}),
			current,
			replicaSet(ro, revision{hash: "7a6b5c4d3", number: 2, image: "ghcr.io/acme/api:2.3.0", age: 9 * day}),
		},
		Pods: []corev1.Pod{
			runningPod(current, "n4c8d", 2*day, 0),
			runningPod(current, "h7x2p", 2*day, 0),
			runningPod(current, "q9w3z", 2*day, 1),
		},
		Now: now,
	}
}

// workloadRefCanary: healthyCanary releasing the Deployment "api", which ramp handed over.
func workloadRefCanary() Tree {
	t := healthyCanary()
	t.Rollout.Spec.WorkloadRef = &v1alpha1.WorkloadRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "api", ScaleDown: v1alpha1.ScaleDownOnSuccess}
	t.Workload = &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "shop", Annotations: map[string]string{
			v1alpha1.ScaledDownFromAnnotation: "3", v1alpha1.ScaledDownAtAnnotation: now.Add(-2 * day).Format(time.RFC3339),
		}},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](0)},
	}
	return t
}

// pausedBlueGreen: the preview passed its pre-promotion analysis and waits to be promoted.
func pausedBlueGreen() Tree {
	ro := newRollout("payments", "checkout", 90*day, 2, "ghcr.io/acme/checkout:3.0.0", v1alpha1.RolloutStrategy{
		BlueGreen: &v1alpha1.BlueGreenStrategy{
			ActiveService: "checkout", PreviewService: "checkout-preview", AutoPromotionEnabled: ptr.To(false),
			PrePromotionAnalysis: analysis("smoke-test"),
		},
	})
	ro.Status = v1alpha1.RolloutStatus{
		Phase:          v1alpha1.RolloutPhasePaused,
		Message:        "preview of revision 84c6d9f7b ready: promote to switch the active Service (kubectl ramp promote checkout)",
		CurrentPodHash: "84c6d9f7b", StableRS: "59f7c8d4b",
		Replicas: 4, UpdatedReplicas: 2, ReadyReplicas: 4, AvailableReplicas: 4,
		BlueGreen: v1alpha1.BlueGreenStatus{ActiveSelector: "59f7c8d4b", PreviewSelector: "84c6d9f7b"},
	}
	preview := replicaSet(ro, revision{hash: "84c6d9f7b", number: 4, image: "ghcr.io/acme/checkout:3.0.0", desired: 2, ready: 2, age: 8 * time.Minute})
	active := replicaSet(ro, revision{hash: "59f7c8d4b", number: 3, image: "ghcr.io/acme/checkout:2.9.4", desired: 2, ready: 2, age: 6 * day})
	return Tree{
		Rollout:     ro,
		ReplicaSets: []appsv1.ReplicaSet{active, preview},
		Pods: []corev1.Pod{
			runningPod(active, "t6m2k", 6*day, 0),
			runningPod(preview, "c3p9s", 8*time.Minute, 0),
			runningPod(active, "r8v4d", 6*day, 0),
			runningPod(preview, "l2f7g", 8*time.Minute, 0),
		},
		Runs: []v1alpha1.AnalysisRun{
			analysisRun(ro, "84c6d9f7b", "prepromotion", 7*time.Minute, v1alpha1.AnalysisRunStatus{
				Phase: v1alpha1.AnalysisPhaseSuccessful, Message: "metric http-5xx successful",
				MetricResults: []v1alpha1.MetricResult{
					metricResult("http-5xx", v1alpha1.AnalysisPhaseSuccessful, 5, 0, "0", "0", "1", "0", "0"),
				},
			}),
		},
		Now: now,
	}
}

// releasedBlueGreen: the active Service switched to the new revision 10 s ago; the previous
// one keeps its pods for scaleDownDelaySeconds (30 s), which its row says.
func releasedBlueGreen() Tree {
	ro := newRollout("payments", "checkout", 90*day, 2, "ghcr.io/acme/checkout:3.0.0", v1alpha1.RolloutStrategy{
		BlueGreen: &v1alpha1.BlueGreenStrategy{ActiveService: "checkout", PreviewService: "checkout-preview"},
	})
	ro.Status = v1alpha1.RolloutStatus{
		Phase:          v1alpha1.RolloutPhaseHealthy,
		Message:        "revision 84c6d9f7b is active at full scale; earlier revisions keep their pods until " + now.Add(20*time.Second).UTC().Format(time.RFC3339) + " (scaleDownDelaySeconds)",
		CurrentPodHash: "84c6d9f7b", StableRS: "84c6d9f7b",
		Replicas: 4, UpdatedReplicas: 2, ReadyReplicas: 4, AvailableReplicas: 4,
		BlueGreen: v1alpha1.BlueGreenStatus{ActiveSelector: "84c6d9f7b", PreviewSelector: "84c6d9f7b", SwitchedAt: ptr.To(metav1.NewTime(now.Add(-10 * time.Second)))},
	}
	active := replicaSet(ro, revision{hash: "84c6d9f7b", number: 4, image: "ghcr.io/acme/checkout:3.0.0", desired: 2, ready: 2, age: 8 * time.Minute})
	previous := replicaSet(ro, revision{hash: "59f7c8d4b", number: 3, image: "ghcr.io/acme/checkout:2.9.4", desired: 2, ready: 2, age: 6 * day})
	return Tree{
		Rollout:     ro,
		ReplicaSets: []appsv1.ReplicaSet{previous, active},
		Pods: []corev1.Pod{
			runningPod(previous, "t6m2k", 6*day, 0),
			runningPod(active, "c3p9s", 8*time.Minute, 0),
		},
		Now: now,
	}
}

// abortedCanary: the analysis at step 4/8 failed, the canary is scaling down and traffic is
// back on stable.
// failingCanary is a paused canary whose controller cannot write its router (a webhook refuses).
func failingCanary() Tree {
	t := pausedCanary()
	t.Rollout.Status.Conditions = append(t.Rollout.Status.Conditions, metav1.Condition{
		Type: v1alpha1.ConditionReconcileError, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonReconcileFailed,
		Message:            `patch ingress shop/web-canary: admission webhook "validate.nginx.ingress.kubernetes.io" denied the request`,
		LastTransitionTime: metav1.NewTime(now.Add(-4 * time.Minute)),
	})
	return t
}

func abortedCanary() Tree {
	ro := newRollout("shop", "web", 26*day, 3, "ghcr.io/acme/web:1.4.0", canary(
		v1alpha1.CanaryStep{SetCanaryScale: &v1alpha1.SetCanaryScale{Replicas: ptr.To(int32(1))}},
		v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "beta-testers", Match: []v1alpha1.HeaderRoutingMatch{
			{HeaderName: "x-beta", HeaderValue: v1alpha1.StringMatch{Exact: "true"}},
		}}},
		setWeightStep(10),
		analysisStep("error-rate"),
		v1alpha1.CanaryStep{SetMirrorRoute: &v1alpha1.SetMirrorRoute{Name: "shadow", Percentage: ptr.To(int32(50)), Match: []v1alpha1.RouteMatch{
			{Path: &v1alpha1.StringMatch{Prefix: "/api"}},
		}}},
		setWeightStep(50),
		pauseStep(ptr.To(intstr.FromInt32(300))),
		v1alpha1.CanaryStep{SetHeaderRoute: &v1alpha1.SetHeaderRoute{Name: "beta-testers"}},
	))
	ro.Spec.Strategy.Canary.TrafficRouting = &v1alpha1.RolloutTrafficRouting{}
	failure := "metric error-rate failed: value 0.093 (failureCondition met: result > 0.05); 2 measurements failed, more than failureLimit 1"
	ro.Status = v1alpha1.RolloutStatus{
		Phase: v1alpha1.RolloutPhaseDegraded,
		Message: "update to revision 6b8f9c7d5 aborted by AnalysisRun web-6b8f9c7d5-3-0 (" + failure +
			"): stable revision 7c9d8e6f4 serves; retry with kubectl ramp retry web, or change the template",
		CurrentPodHash: "6b8f9c7d5", StableRS: "7c9d8e6f4", CurrentStepIndex: ptr.To(int32(3)),
		Abort: true, AbortedAt: ptr.To(ago(2 * time.Minute)),
		Replicas: 4, UpdatedReplicas: 1, ReadyReplicas: 3, AvailableReplicas: 3,
		Canary: v1alpha1.CanaryStatus{Weights: &v1alpha1.TrafficWeights{
			Canary: v1alpha1.WeightDestination{Weight: 0, PodTemplateHash: "6b8f9c7d5"},
			Stable: v1alpha1.WeightDestination{Weight: 100, PodTemplateHash: "7c9d8e6f4"},
		}},
	}
	canaryRS := replicaSet(ro, revision{hash: "6b8f9c7d5", number: 7, image: "ghcr.io/acme/web:1.4.0", desired: 0, ready: 0, age: 9 * time.Minute})
	stableRS := replicaSet(ro, revision{hash: "7c9d8e6f4", number: 6, image: "ghcr.io/acme/web:1.3.2", desired: 3, ready: 3, age: 3 * day})
	leaving := runningPod(canaryRS, "x2k4p", 9*time.Minute, 0)
	leaving.DeletionTimestamp = ptr.To(ago(time.Minute))
	return Tree{
		Rollout:     ro,
		ReplicaSets: []appsv1.ReplicaSet{canaryRS, stableRS},
		Pods: []corev1.Pod{
			leaving,
			runningPod(stableRS, "wq8zt", 3*day, 0),
			runningPod(stableRS, "8kd2n", 3*day, 0),
			runningPod(stableRS, "b9v6c", 3*day, 0),
		},
		Runs: []v1alpha1.AnalysisRun{
			analysisRun(ro, "6b8f9c7d5", "3", 6*time.Minute, v1alpha1.AnalysisRunStatus{
				Phase: v1alpha1.AnalysisPhaseFailed, Message: failure,
				MetricResults: []v1alpha1.MetricResult{
					metricResult("error-rate", v1alpha1.AnalysisPhaseFailed, 1, 2, "0.011", "0.087", "0.093"),
				},
			}),
		},
		Now: now,
	}
}

// bareRollout: just created, nothing observed yet.
func bareRollout() Tree {
	return Tree{
		Rollout: &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "fresh", CreationTimestamp: ago(3 * time.Second)}},
		Now:     now,
	}
}
