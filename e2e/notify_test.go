//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

// A Rollout whose annotations name a webhook Secret: its receiver gets exactly one message
// per subscribed transition, in the order of the Rollout's timeline. Another Rollout's
// receiver never answers: that Rollout completes all the same, while the controller still
// waits on its first message.
func TestNotificationsOnePerTransitionInOrder(t *testing.T) {
	var mu sync.Mutex
	var got []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err == nil {
			mu.Lock()
			got = append(got, m)
			mu.Unlock()
		}
	}))
	defer srv.Close()
	hanging := testenv.NewHole(t)

	ns := cluster.Namespace(t)
	cluster.StartController(t, controllerBin)
	cluster.Apply(t, ns, []byte(fmt.Sprintf(`
apiVersion: v1
kind: Secret
metadata: {name: hook}
stringData: {url: %q}
---
apiVersion: v1
kind: Secret
metadata: {name: hanging}
stringData: {url: "http://%s/hook"}
`, srv.URL+"/hook", hanging.Addr)))
	applyRollout(t, ns, 2, "web:1", "setWeight: 50", "pause: {duration: 1s}", "pause: {}")
	applyNamedRollout(t, ns, "slow", 2, "web:1", "", "setWeight: 50", "pause: {duration: 1s}")
	subscribed := "RolloutPaused,RolloutResumed,RolloutPromoted,RolloutCompleted,RolloutAborted"
	patchRollout(t, ns, types.MergePatchType, `{"metadata":{"annotations":{"notifications.ramp.dev/webhook-secret":"hook","notifications.ramp.dev/on":"`+subscribed+`"}}}`)
	patchNamedRollout(t, ns, "slow", types.MergePatchType, `{"metadata":{"annotations":{"notifications.ramp.dev/webhook-secret":"hanging"}}}`)
	waitRollout(t, ns, "web Healthy", healthyAt(ns, "web:1"))
	waitNamedRollout(t, ns, "slow", "slow Healthy", healthyAt(ns, "web:1"))

	setImage(t, ns, "web:2")
	setNamedImage(t, ns, "slow", "web:2")
	waitRollout(t, ns, "web paused indefinitely", atStep(2, v1alpha1.RolloutPhasePaused))
	promote(t, ns)
	waitRollout(t, ns, "web Healthy on web:2", healthyAt(ns, "web:2"))
	waitNamedRollout(t, ns, "slow", "slow Healthy on web:2", healthyAt(ns, "web:2"))
	if accepted, open := hanging.FirstStillOpen(); accepted == 0 || !open {
		t.Errorf("slow's receiver: %d connections, first open %v: the release must complete while its first message still waits", accepted, open)
	}

	// The timeline's transitions of web that the receiver subscribed to, in order.
	want := subscribedTimeline(t, ns, "web", strings.Split(subscribed, ","))
	testenv.Eventually(t, 30*time.Second, "one message per subscribed transition", func(context.Context) (bool, string, error) {
		mu.Lock()
		defer mu.Unlock()
		var reasons []string
		for _, m := range got {
			reasons = append(reasons, fmt.Sprint(m["reason"]))
		}
		return strings.Join(reasons, " ") == strings.Join(want, " "), strings.Join(reasons, " ") + " want " + strings.Join(want, " "), nil
	})
	mu.Lock()
	defer mu.Unlock()
	ids := map[any]bool{}
	for _, m := range got {
		if m["namespace"] != ns || m["rollout"] != "web" || ids[m["id"]] {
			t.Errorf("message %v: not web's, or sent twice", m)
		}
		ids[m["id"]] = true
	}
	t.Logf("web's subscribed timeline: %v; slow's receiver got %d connection(s)", want, func() int { n, _ := hanging.FirstStillOpen(); return n }())
	if len(want) < 4 {
		t.Errorf("the timeline has %v: want pauses, a promotion and the completion at least", want)
	}
}

// subscribedTimeline is the reasons of a Rollout's Events among reasons, oldest first.
func subscribedTimeline(t *testing.T, ns, name string, reasons []string) []string {
	t.Helper()
	list := &eventsv1.EventList{}
	if err := cluster.Client.List(context.Background(), list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	items := list.Items
	sort.SliceStable(items, func(i, j int) bool { return items[i].EventTime.Before(&items[j].EventTime) })
	var out []string
	for _, e := range items {
		if e.Regarding.Kind == "Rollout" && e.Regarding.Name == name && contains(reasons, e.Reason) {
			out = append(out, e.Reason)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
