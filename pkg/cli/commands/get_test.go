package commands

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

func pod(rsName, name string) *corev1.Pod {
	yes := true
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Labels: map[string]string{"app": "web"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rsName, UID: types.UID("rs-" + rsName), Controller: &yes}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning},
	}
}

func TestGetRolloutShowsItsObjectsOnly(t *testing.T) {
	ro := webRollout()
	stable, canary := replicaSet(ro, 1, "aaa", "web:1"), replicaSet(ro, 2, "bbb", "web:2")
	foreign := replicaSet(ro, 9, "zzz", "other:1")
	foreign.Name, foreign.UID, foreign.OwnerReferences = "other-zzz", "rs-other", nil
	k := newCLI(t, ro, stable, canary, foreign, pod(stable.Name, "web-aaa-1"), pod(canary.Name, "web-bbb-1"), pod("other-zzz", "other-zzz-1"))

	out := k.mustRun("get", "rollout", "web")
	for _, want := range []string{"web-aaa", "web-bbb", "web-aaa-1", "web-bbb-1", "Paused", "web:2"} {
		if !strings.Contains(out, want) {
			t.Errorf("get rollout lacks %q:\n%s", want, out)
		}
	}
	for _, unwanted := range []string{"other-zzz", "\x1b["} {
		if strings.Contains(out, unwanted) {
			t.Errorf("get rollout shows %q (not the rollout's, or colour when piped):\n%s", unwanted, out)
		}
	}
}

// get --watch draws the tree, draws it again when the Rollout changes, and ends with its
// context (Ctrl-C).
func TestGetWatchRedrawsOnChange(t *testing.T) {
	k := newCLI(t, webRollout())
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() { code <- k.run(ctx, "get", "rollout", "web", "--watch") }()

	deadline := time.Now().Add(30 * time.Second)
	promoted := false
	for !strings.Contains(k.outSoFar(), "Healthy") {
		if time.Now().After(deadline) {
			t.Fatalf("no redraw after the rollout went Healthy; output:\n%s", k.outSoFar())
		}
		if !promoted && strings.Contains(k.outSoFar(), "Paused") {
			k.setStatus(func(st *v1alpha1.RolloutStatus) {
				st.Phase, st.Message, st.PauseConditions, st.StableRS = v1alpha1.RolloutPhaseHealthy, "revision bbb runs at full scale", nil, "bbb"
			})
			promoted = true
		}
		time.Sleep(10 * time.Millisecond) // polling the output buffer, not synchronising on time
	}
	cancel()
	select {
	case got := <-code:
		if got != 0 {
			t.Errorf("get --watch ended with %d after its context, want 0; stderr %q", got, k.err.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("get --watch did not end with its context")
	}
	if frames := strings.Count(k.outSoFar(), "Name:"); frames != 2 {
		t.Errorf("%d frames drawn, want 2 (one per state)", frames)
	}
}

func TestListRollouts(t *testing.T) {
	other := webRollout(func(ro *v1alpha1.Rollout) { ro.Namespace, ro.Name, ro.UID = "payments", "checkout", "uid-2" })
	k := newCLI(t, webRollout(), other)
	out := k.mustRun("list", "rollouts")
	if !strings.Contains(out, "web") || strings.Contains(out, "checkout") {
		t.Errorf("list rollouts in shop:\n%s", out)
	}
	out = k.mustRun("list", "rollouts", "-A")
	if !strings.Contains(out, "checkout") || !strings.Contains(out, "payments") {
		t.Errorf("list rollouts -A:\n%s", out)
	}
	k = newCLI(t)
	k.mustRun("list", "rollouts")
	if !strings.Contains(k.err.String(), "No rollouts found in namespace shop.") {
		t.Errorf("empty list: stderr %q", k.err.String())
	}
}

func TestGetAndListAsJSONOrYAML(t *testing.T) {
	k := newCLI(t, webRollout())
	var ro v1alpha1.Rollout
	if err := json.Unmarshal([]byte(k.mustRun("get", "rollout", "web", "-o", "json")), &ro); err != nil || ro.Name != "web" || ro.Kind != "Rollout" || ro.APIVersion != "rollouts.ramp.dev/v1alpha1" {
		t.Errorf("get -o json: %v %+v", err, ro.TypeMeta)
	}
	if out := k.mustRun("list", "rollouts", "-o", "yaml"); !strings.Contains(out, "kind: RolloutList") || !strings.Contains(out, "name: web") {
		t.Errorf("list -o yaml:\n%s", out)
	}
	if code := k.run(context.Background(), "get", "rollout", "web", "-o", "wide"); code != 1 || !strings.Contains(k.err.String(), "use json or yaml") {
		t.Errorf("-o wide: exit %d stderr %q", code, k.err.String())
	}
}

// Ctrl-C in the middle of a redraw's reads (which then fail with the cancelled context) still
// ends get --watch with 0: that is how a watch ends, not an error.
func TestGetWatchInterruptedMidReadExitsZero(t *testing.T) {
	k := newCLI(t, webRollout())
	reading := make(chan struct{})
	var once sync.Once
	k.c = interceptor.NewClient(k.c, interceptor.Funcs{
		List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			if _, pods := list.(*corev1.PodList); pods {
				once.Do(func() { close(reading) })
				<-ctx.Done()
				return ctx.Err()
			}
			return c.List(ctx, list, opts...)
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() { code <- k.run(ctx, "get", "rollout", "web", "--watch") }()
	select {
	case <-reading:
	case <-time.After(30 * time.Second):
		t.Fatal("get --watch never read the rollout's pods")
	}
	cancel()
	select {
	case got := <-code:
		if got != 0 {
			t.Errorf("get --watch interrupted mid-read ended with %d, want 0; stderr %q", got, k.err.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("get --watch did not end with its context")
	}
}
