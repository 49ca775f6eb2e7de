package plan

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// newWorkloadWorld is a Rollout of replicas pods that takes its template from the Deployment
// "web" (workloadRef), which runs web:1 on deployed pods of its own.
func newWorkloadWorld(t *testing.T, replicas, deployed int32, scaleDown string, steps ...v1alpha1.CanaryStep) *world {
	w := newWorld(t, replicas, steps...)
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", Generation: 1},
		Spec:       appsv1.DeploymentSpec{Replicas: ptr.To(deployed), Selector: w.ro.Spec.Selector.DeepCopy(), Template: *w.ro.Spec.Template.DeepCopy()},
	}
	w.ro.Spec.Template, w.ro.Spec.Selector = corev1.PodTemplateSpec{}, nil
	w.ro.Spec.WorkloadRef = &v1alpha1.WorkloadRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", ScaleDown: scaleDown}
	w.SetWorkload(dep)
	return w
}

func (w *world) deployed() int32 { return ptr.Deref(w.workload.Spec.Replicas, 1) }

// gitopsSync re-applies the Deployment's manifest as a GitOps tool does: its replicas (and
// template, with image) as Git has them.
func (w *world) gitopsSync(replicas int32, image string) {
	d := w.workload
	d.Spec.Replicas = ptr.To(replicas)
	d.Spec.Template.Spec.Containers[0].Image = image
	d.Generation++
	w.readyWorkload()
}

func (w *world) expectDeployed(t *testing.T, want int32) {
	t.Helper()
	if got := w.deployed(); got != want {
		t.Errorf("Deployment has %d replicas, want %d: %s", got, want, w.describe())
	}
}

func TestWorkloadRefReleasesTheDeploymentsTemplate(t *testing.T) {
	w := newWorkloadWorld(t, 4, 4, v1alpha1.ScaleDownNever, weight(25), pause())
	w.settle()
	w.expect(v1alpha1.RolloutPhaseHealthy, 2, map[string]int32{"web:1": 4})
	if w.ro.Status.WorkloadObservedGeneration != "1" {
		t.Errorf("workloadObservedGeneration %q, want the Deployment's generation 1", w.ro.Status.WorkloadObservedGeneration)
	}
	w.expectDeployed(t, 4) // never: its pods keep running beside the Rollout's

	w.gitopsSync(4, "web:2")
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 1, map[string]int32{"web:1": 3, "web:2": 1})
	w.expectDeployed(t, 4)
	if w.ro.Status.WorkloadObservedGeneration != "2" {
		t.Errorf("workloadObservedGeneration %q, want 2", w.ro.Status.WorkloadObservedGeneration)
	}
}

// onsuccess: the Deployment keeps its pods until the Rollout is Healthy, then goes to 0 and is
// kept there: a GitOps sync that gives it its replicas back is undone at once, during a
// release too (Argo #4935, #4681).
func TestWorkloadRefOnSuccessScalesDownOnceHealthyAndKeepsItDown(t *testing.T) {
	w := newWorkloadWorld(t, 5, 5, v1alpha1.ScaleDownOnSuccess, weight(20), pause())
	w.reconcile()
	w.expectDeployed(t, 5) // the Rollout's pods are not available yet
	w.ready()
	w.settle()
	w.expect(v1alpha1.RolloutPhaseHealthy, 2, map[string]int32{"web:1": 5})
	w.expectDeployed(t, 0)
	if a := w.workload.Annotations; a[v1alpha1.ScaledDownFromAnnotation] != "5" || a[v1alpha1.ScaledDownAtAnnotation] == "" || a[v1alpha1.ScaledDownByAnnotation] != "web" {
		t.Errorf("Deployment annotations %v: want where it was scaled from, when, and by which Rollout", a)
	}
	if !slices.Contains(w.reasons(), v1alpha1.ReasonWorkloadScaledDown) {
		t.Errorf("no %s on the timeline: %v", v1alpha1.ReasonWorkloadScaledDown, w.reasons())
	}

	w.gitopsSync(5, "web:1")
	w.settle()
	w.expectDeployed(t, 0)
	if last := w.notes[len(w.notes)-1]; !strings.Contains(last.Message, "GitOps") {
		t.Errorf("last note %q: want the undone resync explained", last.Message)
	}

	// A release from Git: the template and the replicas come back together. The Rollout
	// starts its canary, the Deployment is kept at 0 in the same pass.
	w.gitopsSync(5, "web:2")
	w.reconcile()
	w.expectDeployed(t, 0)
	w.settle()
	w.expect(v1alpha1.RolloutPhasePaused, 1, map[string]int32{"web:1": 4, "web:2": 1})
	w.expectDeployed(t, 0)
}

// progressively: every pod of the Rollout that is available replaces one of the
// Deployment's; together they never have fewer than the Deployment had.
func TestWorkloadRefProgressivelyHandsOverPodByPod(t *testing.T) {
	w := newWorkloadWorld(t, 6, 6, v1alpha1.ScaleDownProgressively)
	w.reconcile()
	w.expectDeployed(t, 6)
	for _, avail := range []int32{2, 5} {
		rs := w.replicaSets()[0]
		w.rss[rs.Name].Status.AvailableReplicas = avail
		w.rss[rs.Name].Status.ReadyReplicas = avail
		w.rss[rs.Name].Status.Replicas = 6
		w.reconcile()
		w.expectDeployed(t, 6-avail)
	}
	w.ready()
	w.settle()
	w.expect(v1alpha1.RolloutPhaseHealthy, 0, map[string]int32{"web:1": 6})
	w.expectDeployed(t, 0)
	if a := w.workload.Annotations; a[v1alpha1.ScaledDownFromAnnotation] != "6" {
		t.Errorf("Deployment annotations %v: want it scaled down from 6", a)
	}

	// After the hand-over the Deployment stays at 0 even while a later release runs with
	// fewer available pods (Argo #4321) or Git puts its replicas back (#4935).
	w.gitopsSync(6, "web:2")
	w.settle()
	w.expectDeployed(t, 0)
}

// A Deployment that does not exist degrades the Rollout, which keeps serving: nothing scaled.
func TestWorkloadRefMissingDeploymentChangesNothing(t *testing.T) {
	w := newWorkloadWorld(t, 3, 3, v1alpha1.ScaleDownOnSuccess)
	w.settle()
	w.expect(v1alpha1.RolloutPhaseHealthy, 0, map[string]int32{"web:1": 3})
	w.ro.Spec.WorkloadRef.Name = "typo"
	w.ro.Generation++
	saved := w.workload
	w.workload = nil
	p := w.reconcile()
	if len(p.Writes()) != 0 || p.Workload != nil {
		t.Errorf("plan writes %v with the Deployment missing, want none", p.Writes())
	}
	if w.ro.Status.Phase != v1alpha1.RolloutPhaseDegraded || !strings.Contains(w.ro.Status.Message, "spec.workloadRef: Deployment shop/typo not found") {
		t.Errorf("status %s %q: want Degraded naming the field", w.ro.Status.Phase, w.ro.Status.Message)
	}
	w.workload = saved
	w.expect(v1alpha1.RolloutPhaseDegraded, 0, map[string]int32{"web:1": 3})
}

// Turning scaleDown back to never gives the Deployment its replicas back.
func TestWorkloadRefNeverRestoresWhatRampScaledDown(t *testing.T) {
	w := newWorkloadWorld(t, 3, 3, v1alpha1.ScaleDownOnSuccess)
	w.settle()
	w.expectDeployed(t, 0)
	w.ro.Spec.WorkloadRef.ScaleDown = v1alpha1.ScaleDownNever
	w.ro.Generation++
	w.settle()
	w.expectDeployed(t, 3)
	if len(w.workload.Annotations) != 0 {
		t.Errorf("Deployment keeps ramp's annotations %v", w.workload.Annotations)
	}
}

// Blue-green with a post-promotion analysis: the Deployment goes once the Rollout is Healthy,
// on the first revision too (Argo #4681 left it up forever).
func TestWorkloadRefOnSuccessUnderBlueGreen(t *testing.T) {
	w := newWorkloadWorld(t, 3, 3, v1alpha1.ScaleDownOnSuccess)
	w.ro.Spec.Strategy = v1alpha1.RolloutStrategy{BlueGreen: &v1alpha1.BlueGreenStrategy{ActiveService: "web-active",
		PostPromotionAnalysis: &v1alpha1.RolloutAnalysis{Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "smoke"}}}}}
	w.services["web-active"] = &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web-active"}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}}}
	w.settle()
	if w.ro.Status.Phase != v1alpha1.RolloutPhaseHealthy {
		t.Fatalf("first revision: %s", w.describe())
	}
	w.expectDeployed(t, 0)
}

// A deleted Rollout gives the Deployment the Rollout's replicas, and goes only once they are
// available (or the progress deadline after the deletion has passed).
func TestWorkloadRestoreOnDeletion(t *testing.T) {
	now := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "web", DeletionTimestamp: ptr.To(metav1.NewTime(now))}, Spec: v1alpha1.RolloutSpec{Replicas: ptr.To[int32](7),
		WorkloadRef: &v1alpha1.WorkloadRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", ScaleDown: v1alpha1.ScaleDownOnSuccess}}}
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Generation: 3, Annotations: map[string]string{v1alpha1.ScaledDownFromAnnotation: "5", v1alpha1.ScaledDownAtAnnotation: "x"}},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](0)}}
	restore, done := WorkloadRestore(ro, dep, now)
	if restore == nil || restore.Replicas != 7 || done {
		t.Fatalf("restore %+v, done %v: want 7 replicas (the Rollout's), not done", restore, done)
	}
	if v, ok := restore.Annotations[v1alpha1.ScaledDownFromAnnotation]; !ok || v != nil {
		t.Errorf("restore does not remove ramp's annotations: %v", restore.Annotations)
	}
	// A Deployment the Rollout named before gets what it had back, not the Rollout's replicas.
	other := ro.DeepCopy()
	other.Spec.WorkloadRef.Name = "web-v2"
	if restore, _ := WorkloadRestore(other, dep, now); restore == nil || restore.Replicas != 5 {
		t.Errorf("restore of a Deployment named before: %+v, want its own 5 replicas", restore)
	}
	dep.Annotations, dep.Spec.Replicas, dep.Generation = nil, ptr.To[int32](7), 4
	dep.Status = appsv1.DeploymentStatus{ObservedGeneration: 4, AvailableReplicas: 6}
	if restore, done = WorkloadRestore(ro, dep, now.Add(time.Minute)); restore != nil || done {
		t.Errorf("6 of 7 available: restore %+v, done %v; want to wait", restore, done)
	}
	if _, done = WorkloadRestore(ro, dep, now.Add(11*time.Minute)); !done {
		t.Errorf("past the progress deadline: still waiting")
	}
	dep.Status.AvailableReplicas = 7
	if _, done = WorkloadRestore(ro, dep, now.Add(time.Minute)); !done {
		t.Errorf("7 of 7 available: still waiting")
	}
	if _, done = WorkloadRestore(ro, nil, now); !done {
		t.Errorf("no Deployment: still waiting")
	}
}

// A SIGKILL at any point of a hand-over and of a resync's undoing: the status write lost, or
// the writes cut short. Planned again from the cluster, the Deployment ends at 0 with what it
// had recorded, and the Rollout serves throughout.
func TestWorkloadRefHandOverSurvivesCrashes(t *testing.T) {
	for _, mode := range []string{v1alpha1.ScaleDownOnSuccess, v1alpha1.ScaleDownProgressively} {
		for cut := range 4 {
			t.Run(fmt.Sprintf("%s/crash after %d writes", mode, cut), func(t *testing.T) {
				w := newWorkloadWorld(t, 4, 4, mode, weight(25), pause())
				w.afterWrite = func() {
					var available int32
					for _, rs := range w.replicaSets() {
						available += rs.Status.AvailableReplicas
					}
					if w.deployed()+available < 4 {
						t.Fatalf("%d Deployment pods and %d of the Rollout's available: fewer than 4: %s", w.deployed(), available, w.describe())
					}
				}
				w.crash = func(n int) int { return min(cut, n) }
				w.settle()
				w.expectDeployed(t, 0)
				w.gitopsSync(4, "web:2")
				w.crash = func(n int) int { return min(cut, n) }
				w.settle()
				w.expect(v1alpha1.RolloutPhasePaused, 1, map[string]int32{"web:1": 3, "web:2": 1})
				w.expectDeployed(t, 0)
				if a := w.workload.Annotations; a[v1alpha1.ScaledDownFromAnnotation] != "4" || a[v1alpha1.ScaledDownAtAnnotation] == "" {
					t.Errorf("annotations %v after the crashes", a)
				}
			})
		}
	}
}
