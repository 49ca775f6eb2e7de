//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/testenv"
	"github.com/ramp-dev/ramp/pkg/workload"
)

const (
	chaosRollouts = 20
	chaosReplicas = 4
	// chaosMinAvailable is replicas - maxUnavailable for the chaos Rollouts.
	chaosMinAvailable = chaosReplicas - 1
)

// chaosManifest is Rollout c-i with its Services, and for even i an Ingress it routes through
// (NGINX), for odd i none (the canary's share is its share of the pods).
func chaosManifest(i int) string {
	steps := "      - setWeight: 25\n      - pause: {duration: 1s}\n      - setWeight: 50\n      - pause: {duration: 1s}\n      - setWeight: 75\n      - pause: {duration: 1s}\n"
	return canaryCase(fmt.Sprintf("c-%d", i), chaosReplicas, "1", "1", 0, steps, i%2 == 0).manifest
}

// chaosPauses are the step indexes of the pause steps: each must be seen paused, or a step was
// skipped.
var chaosPauses = []int32{1, 3, 5}

// chaosState is one Rollout's world as the replay has it so far.
type chaosState struct {
	rollout  *v1alpha1.Rollout
	seenAt   int64                         // the resourceVersion of rollout
	rss      map[string]*appsv1.ReplicaSet // by hash
	weight   int
	released bool // web:2 was written into the spec: the invariants hold from here on
	paused   map[int32]bool
}

// checkChaosHistory replays the history and reports every broken invariant from the write of
// web:2 on: a routed canary's weight above its share of available pods, fewer than replicas -
// maxUnavailable pods available (checkAvailability; the stable side alone too when routed), a
// pause step never seen. Within a gap of the history nothing is checked, and a pause the gap
// may hide counts as seen.
func checkChaosHistory(t *testing.T, h []recorded, gaps []gap, v2 map[string]string) {
	t.Helper()
	floors, from := map[string]int32{}, int64(0)
	for _, rec := range h {
		if ro, ok := rec.obj.(*v1alpha1.Rollout); ok && ro.Spec.Template.Spec.Containers[0].Image == "web:2" {
			floors[ro.Name] = chaosMinAvailable
			if from == 0 {
				from = rec.rv
			}
		}
	}
	checkAvailability(t, h, gaps, from, floors)
	states := map[string]*chaosState{}
	state := func(name string) *chaosState {
		if states[name] == nil {
			states[name] = &chaosState{rss: map[string]*appsv1.ReplicaSet{}, paused: map[int32]bool{}}
		}
		return states[name]
	}
	var broken []string
	for _, rec := range h {
		if rec.deleted {
			continue
		}
		var name string
		switch o := rec.obj.(type) {
		case *v1alpha1.Rollout:
			name = o.Name
			s := state(name)
			if s.rollout != nil && spans(gaps, s.seenAt, rec.rv) {
				for _, idx := range chaosPauses {
					if idx >= releaseStep(s.rollout, v2[name]) && idx <= releaseStep(o, v2[name]) {
						s.paused[idx] = true // unverifiable
					}
				}
			}
			s.rollout, s.seenAt = o, rec.rv
			s.released = s.released || o.Spec.Template.Spec.Containers[0].Image == "web:2"
			if o.Status.CurrentPodHash == v2[name] && o.Status.StableRS != v2[name] {
				if o.Status.Phase == v1alpha1.RolloutPhasePaused && o.Status.CurrentStepIndex != nil {
					s.paused[*o.Status.CurrentStepIndex] = true
				}
			}
		case *appsv1.ReplicaSet:
			owner := metav1.GetControllerOf(o)
			if owner == nil {
				continue
			}
			name = owner.Name
			state(name).rss[workload.HashOf(o)] = o
		case *networkingv1.Ingress:
			owner := metav1.GetControllerOf(o) // the canary Ingress ramp owns

			if owner == nil {
				continue
			}
			name = owner.Name
			state(name).weight, _ = strconv.Atoi(o.Annotations["nginx.ingress.kubernetes.io/canary-weight"])
		default:
			continue
		}
		s := state(name)
		if !s.released || s.rollout == nil || within(gaps, rec.rv) {
			continue
		}
		stable, canary := s.rss[s.rollout.Status.StableRS], s.rss[v2[name]]
		available := func(rs *appsv1.ReplicaSet) int32 {
			if rs == nil {
				return 0
			}
			return rs.Status.AvailableReplicas
		}
		if s.rollout.Spec.Strategy.Canary.TrafficRouting != nil { // the total: checkAvailability
			if s.weight*chaosReplicas > 100*int(available(canary)) {
				broken = append(broken, fmt.Sprintf("%s at rv %d: weight %d with %d canary pods available", name, rec.rv, s.weight, available(canary)))
			}
			if stable != nil && stable != canary && available(stable) < chaosMinAvailable && s.rollout.Status.StableRS != v2[name] {
				broken = append(broken, fmt.Sprintf("%s at rv %d: %d stable pods available, below %d", name, rec.rv, available(stable), chaosMinAvailable))
			}
		}
	}
	for name, s := range states {
		for _, idx := range chaosPauses {
			if !s.paused[idx] {
				broken = append(broken, fmt.Sprintf("%s: never seen paused at step %d: a step was skipped", name, idx+1))
			}
		}
	}
	sort.Strings(broken)
	if len(broken) > 10 {
		broken = append(broken[:10], fmt.Sprintf("... and %d more", len(broken)-10))
	}
	for _, b := range broken {
		t.Error(b)
	}
}

// releaseStep is how far the Rollout is in releasing the v2 revision: its step index on it,
// 0 before it began, past the last step once it is stable.
func releaseStep(ro *v1alpha1.Rollout, v2 string) int32 {
	switch {
	case ro.Status.CurrentPodHash != v2:
		return 0
	case ro.Status.StableRS == v2:
		return int32(len(ro.Spec.Strategy.Canary.Steps))
	default:
		return ptr.Deref(ro.Status.CurrentStepIndex, 0)
	}
}

// SIGKILL at random points (fixed seed) while 20 Rollouts release, half routed by NGINX: each
// ends Healthy on the new revision with no step skipped, no routed canary ever weighs more
// than its share of available pods, and available pods never fall below replicas -
// maxUnavailable.
func TestChaosKillsNeverBreakARelease(t *testing.T) {
	ns := cluster.Namespace(t)
	ctrl := cluster.StartController(t, controllerBin)
	rec, v2 := startChaosReleases(t, ns)

	rng := rand.New(rand.NewPCG(2026, 12))
	kills := 0
	deadline := time.Now().Add(90 * time.Second)
	for kills < 12 && time.Now().Before(deadline) && !allMatch(t, ns, releasedOn(v2)) {
		time.Sleep(time.Duration(100+rng.IntN(1500)) * time.Millisecond) // a random point, not a quiet one
		ctrl.Kill()
		kills++
		ctrl.Start()
	}
	t.Logf("%d SIGKILLs during the releases", kills)
	waitAll(t, ns, "every Rollout Healthy on web:2", releasedOn(v2))
	h, gaps := rec.history()
	checkChaosHistory(t, h, gaps, v2)
	checkOneReplicaSetPerRevision(t, ns, v2)
}

// startChaosReleases applies the chaos Rollouts into ns, waits until each is Healthy on web:1,
// starts recording the namespace and releases web:2 on each. It returns the recorder and each
// Rollout's web:2 pod-template hash.
func startChaosReleases(t *testing.T, ns string) (*recorder, map[string]string) {
	t.Helper()
	var docs []string
	for i := range chaosRollouts {
		docs = append(docs, chaosManifest(i))
	}
	cluster.Apply(t, ns, []byte(strings.Join(docs, "\n---\n")))
	waitAll(t, ns, "every first revision Healthy", func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && ro.Status.AvailableReplicas == chaosReplicas
	})
	rec := recordNamespace(t, ns)
	v2 := map[string]string{}
	for i := range chaosRollouts {
		name := fmt.Sprintf("c-%d", i)
		ro := &v1alpha1.Rollout{}
		if err := cluster.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, ro); err != nil {
			t.Fatal(err)
		}
		patched := ro.DeepCopy()
		patched.Spec.Template.Spec.Containers[0].Image = "web:2"
		hash, _ := workload.TemplateHash(&patched.Spec.Template, patched.Status.CollisionCount)
		v2[name] = hash
		if err := cluster.Client.Patch(context.Background(), patched, client.MergeFrom(ro)); err != nil {
			t.Fatal(err)
		}
	}
	return rec, v2
}

// checkOneReplicaSetPerRevision: each Rollout owns exactly two ReplicaSets, web:1's and
// web:2's, and never bumped its collisionCount: no pass created a ReplicaSet it already had.
func checkOneReplicaSetPerRevision(t *testing.T, ns string, v2 map[string]string) {
	t.Helper()
	rss := &appsv1.ReplicaSetList{}
	if err := cluster.Client.List(context.Background(), rss, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	owned := map[string][]string{}
	for _, rs := range rss.Items {
		if owner := metav1.GetControllerOf(&rs); owner != nil {
			owned[owner.Name] = append(owned[owner.Name], rs.Name+"("+rs.Spec.Template.Spec.Containers[0].Image+")")
		}
	}
	for name := range v2 {
		if len(owned[name]) != 2 {
			t.Errorf("%s owns ReplicaSets %v: want one for web:1 and one for web:2", name, owned[name])
		}
		ro := &v1alpha1.Rollout{}
		if err := cluster.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, ro); err != nil {
			t.Fatal(err)
		}
		if ro.Status.CollisionCount != nil {
			t.Errorf("%s: collisionCount %d: a ReplicaSet was created twice", name, *ro.Status.CollisionCount)
		}
	}
}

// releasedOn: Healthy on the new revision with all its pods and nothing else running.
func releasedOn(v2 map[string]string) func(*v1alpha1.Rollout) bool {
	return func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && ro.Status.StableRS == v2[ro.Name] &&
			ro.Status.AvailableReplicas == chaosReplicas && ro.Status.Replicas == chaosReplicas
	}
}

func listRollouts(ctx context.Context, ns string) ([]v1alpha1.Rollout, error) {
	list := &v1alpha1.RolloutList{}
	err := cluster.Client.List(ctx, list, client.InNamespace(ns))
	return list.Items, err
}

func allMatch(t *testing.T, ns string, ok func(*v1alpha1.Rollout) bool) bool {
	items, err := listRollouts(context.Background(), ns)
	if err != nil {
		t.Log(err)
		return false
	}
	for i := range items {
		if !ok(&items[i]) {
			return false
		}
	}
	return len(items) > 0
}

// waitAll waits until every Rollout of ns satisfies ok.
func waitAll(t *testing.T, ns, what string, ok func(*v1alpha1.Rollout) bool) {
	t.Helper()
	testenv.Eventually(t, 3*rolloutTimeout, what, func(ctx context.Context) (bool, string, error) {
		items, err := listRollouts(ctx, ns)
		if err != nil {
			return false, "", err
		}
		var waiting []string
		for i := range items {
			if !ok(&items[i]) {
				ro := &items[i]
				waiting = append(waiting, fmt.Sprintf("%s: %s step %d %s", ro.Name, ro.Status.Phase, ptr.Deref(ro.Status.CurrentStepIndex, -1), ro.Status.Message))
			}
		}
		return len(waiting) == 0 && len(items) > 0, strings.Join(waiting, "; "), nil
	})
}
