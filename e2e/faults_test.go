//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/e2e/framework"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

// Control-plane faults: the API server restarted, the leader killed, Prometheus down.

// The API server restarts while 20 Rollouts release: every Rollout converges on web:2 with
// the same invariants as the chaos test, no ReplicaSet is created twice, and no Rollout is
// left saying its reconciles fail.
func TestAPIServerRestartMidRelease(t *testing.T) {
	ns := cluster.Namespace(t)
	ctrl := cluster.StartController(t, controllerBin)
	rec, v2 := startChaosReleases(t, ns)
	waitMidRelease(t, ns, v2)
	cluster.RestartAPIServer(t)
	waitAll(t, ns, "every Rollout Healthy on web:2", releasedOn(v2))
	if ctrl.Exited() {
		t.Error("the controller exited while the API server was down")
	}
	h, gaps := rec.history()
	t.Logf("history: %d versions; lost to the restart and listed again: %v", len(h), gaps)
	checkChaosHistory(t, h, gaps, v2)
	checkOneReplicaSetPerRevision(t, ns, v2)
	waitAll(t, ns, "no ReconcileError condition left", func(ro *v1alpha1.Rollout) bool {
		return !meta.IsStatusConditionTrue(ro.Status.Conditions, v1alpha1.ConditionReconcileError)
	})
}

// Two replicas with leader election; the leader is SIGKILLed while 20 Rollouts release. The
// standby, which did nothing until then, takes the Lease once it expires and finishes every
// release with no step skipped.
func TestLeaderKilledStandbyFinishes(t *testing.T) {
	ns := cluster.Namespace(t)
	lease := "e2e-" + ns
	args := []string{"--leader-elect", "--leader-election-namespace=" + framework.ControllerNamespace, "--leader-election-id=" + lease}
	replicas := []*framework.Controller{cluster.StartController(t, controllerBin, args...), cluster.StartController(t, controllerBin, args...)}
	leader := waitLeader(t, replicas)
	standby := replicas[1-leader]

	rec, v2 := startChaosReleases(t, ns)
	waitMidRelease(t, ns, v2)
	holder := leaseHolder(t, lease)
	replicas[leader].Kill()
	killed := time.Now()
	// client-go's defaults, which ramp keeps: a Lease lasts 15 s, candidates retry every 2 s.
	const leaseDuration, retryPeriod = 15 * time.Second, 2 * time.Second
	testenv.Eventually(t, leaseDuration+2*retryPeriod+5*time.Second, "the standby holds the Lease", func(context.Context) (bool, string, error) {
		now := leaseHolder(t, lease)
		return now != "" && now != holder && strings.Contains(standby.Logs(), acquiredLease), "holder " + now, nil
	})
	t.Logf("the standby took the Lease %s after the leader was killed", time.Since(killed).Round(100*time.Millisecond))

	waitAll(t, ns, "every Rollout Healthy on web:2", releasedOn(v2))
	h, gaps := rec.history()
	checkChaosHistory(t, h, gaps, v2)
	checkOneReplicaSetPerRevision(t, ns, v2)
	logs := standby.Logs()
	if before := logs[:strings.Index(logs, acquiredLease)]; strings.Contains(before, `"rollout":"`+ns+"/") {
		t.Errorf("the standby reconciled before it held the Lease: %s", firstLineWith(before, `"rollout":"`+ns+"/"))
	}
}

// acquiredLease is what client-go's leader election logs (through the controller's logger)
// when a replica becomes leader.
const acquiredLease = `"msg":"Successfully acquired lease"`

// waitLeader waits until one of the replicas has acquired the Lease and returns its index.
func waitLeader(t *testing.T, replicas []*framework.Controller) int {
	t.Helper()
	leader := -1
	testenv.Eventually(t, time.Minute, "a leader elected", func(context.Context) (bool, string, error) {
		for i, r := range replicas {
			if strings.Contains(r.Logs(), acquiredLease) {
				leader = i
			}
		}
		return leader >= 0, "", nil
	})
	return leader
}

func leaseHolder(t *testing.T, name string) string {
	t.Helper()
	l := &coordinationv1.Lease{}
	if err := cluster.Client.Get(context.Background(), client.ObjectKey{Namespace: framework.ControllerNamespace, Name: name}, l); err != nil {
		return ""
	}
	return ptr.Deref(l.Spec.HolderIdentity, "")
}

func firstLineWith(s, sub string) string {
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, sub) {
			return line
		}
	}
	return ""
}

// waitMidRelease waits until half the chaos Rollouts are past their first step of web:2 and
// not done with it, so that a fault strikes in the middle of releases.
func waitMidRelease(t *testing.T, ns string, v2 map[string]string) {
	t.Helper()
	testenv.Eventually(t, rolloutTimeout, "half the Rollouts mid-release", func(ctx context.Context) (bool, string, error) {
		items, err := listRollouts(ctx, ns)
		if err != nil {
			return false, "", err
		}
		mid := 0
		for _, ro := range items {
			if ro.Status.CurrentPodHash == v2[ro.Name] && ro.Status.StableRS != v2[ro.Name] && ptr.Deref(ro.Status.CurrentStepIndex, 0) >= 1 {
				mid++
			}
		}
		return mid >= chaosRollouts/2, fmt.Sprintf("%d mid-release", mid), nil
	})
}

// prometheusOutage is how long Prometheus stays down in TestPrometheusDownTwoMinutes.
const prometheusOutage = 2 * time.Minute

// Prometheus is down for two minutes while two Rollouts wait on analysis steps: neither is
// promoted while it is down; "strict" (consecutiveErrorLimit 3) aborts after its fourth error
// in a row; "patient" (consecutiveErrorLimit 200) keeps measuring, passes once Prometheus is
// back and completes.
func TestPrometheusDownTwoMinutes(t *testing.T) {
	w := newAnalysisWorld(t, "")
	w.applyTemplate(t, "strict", "    count: 3\n    consecutiveErrorLimit: 3\n")
	// Back up, Prometheus answers "no data" (Inconclusive) until it has scraped twice.
	w.applyTemplate(t, "patient", "    count: 3\n    consecutiveErrorLimit: 200\n    inconclusiveLimit: 10\n")
	analyse := func(template string) string {
		return fmt.Sprintf("analysis: {templates: [{templateName: %s}], args: [{name: version, value: v2}]}", template)
	}
	for _, name := range []string{"strict", "patient"} {
		applyNamedRollout(t, w.ns, name, 2, "web:1", "", "setWeight: 50", analyse(name), "setWeight: 75")
		waitNamedRollout(t, w.ns, name, name+": first revision Healthy", healthyAt(w.ns, "web:1"))
	}
	w.prom.Stop()
	down := time.Now()
	for _, name := range []string{"strict", "patient"} {
		setNamedImage(t, w.ns, name, "web:2")
	}
	strict := waitNamedRollout(t, w.ns, "strict", "strict: aborted after errors in a row", abortedByAnalysis)
	if s := strict.Status.Canary.CurrentStepAnalysisRunStatus; s == nil || s.Status != v1alpha1.AnalysisPhaseError {
		t.Errorf("strict: step run status %+v, want Error", s)
	} else if run := getRun(t, w.ns, s.Name); run.Status.MetricResults[0].Error != 4 || run.Status.MetricResults[0].Count != 0 {
		t.Errorf("strict: run has %d errors and %d measurements: want 4 errors (more than consecutiveErrorLimit 3) and none counted",
			run.Status.MetricResults[0].Error, run.Status.MetricResults[0].Count)
	}
	// Until the outage ends no Rollout passes its analysis step.
	for time.Since(down) < prometheusOutage {
		items, err := listRollouts(context.Background(), w.ns)
		if err != nil {
			t.Fatal(err)
		}
		for _, ro := range items {
			if step := ptr.Deref(ro.Status.CurrentStepIndex, 0); ro.Status.CurrentPodHash != ro.Status.StableRS && step > 1 {
				t.Fatalf("%s promoted to step %d while Prometheus was down (%s)", ro.Name, step+1, ro.Status.Message)
			}
			if ro.Name == "patient" && ro.Status.Abort {
				t.Fatalf("patient aborted while under its consecutiveErrorLimit: %s", ro.Status.Message)
			}
		}
		time.Sleep(testenv.PollInterval)
	}
	w.prom.Start()
	patient := waitNamedRollout(t, w.ns, "patient", "patient: Healthy on web:2 once Prometheus is back", healthyAt(w.ns, "web:2"))
	if s := patient.Status.Canary.CurrentStepAnalysisRunStatus; s == nil || s.Status != v1alpha1.AnalysisPhaseSuccessful {
		t.Errorf("patient: step run %+v, want Successful", s)
	}
	all := &v1alpha1.AnalysisRunList{}
	if err := cluster.Client.List(context.Background(), all, client.InNamespace(w.ns)); err != nil {
		t.Fatal(err)
	}
	runs := &v1alpha1.AnalysisRunList{}
	for _, run := range all.Items {
		if owner := metav1.GetControllerOf(&run); owner != nil && owner.Name == "patient" {
			runs.Items = append(runs.Items, run)
		}
	}
	if len(runs.Items) != 1 || runs.Items[0].Status.Phase != v1alpha1.AnalysisPhaseSuccessful || runs.Items[0].Status.MetricResults[0].Error < 10 {
		t.Errorf("patient's runs %v: want one Successful run that measured errors through the outage", runNames(runs))
	}
	if ro := getNamedRollout(t, w.ns, "strict"); !ro.Status.Abort || ro.Status.StableRS == ro.Status.CurrentPodHash {
		t.Errorf("strict: abort %v, stable %s: the abort must stand after Prometheus is back", ro.Status.Abort, ro.Status.StableRS)
	}
}

func getRun(t *testing.T, ns, name string) *v1alpha1.AnalysisRun {
	t.Helper()
	run := &v1alpha1.AnalysisRun{}
	if err := cluster.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, run); err != nil {
		t.Fatal(err)
	}
	return run
}
