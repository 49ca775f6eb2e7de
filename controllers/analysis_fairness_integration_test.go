//go:build integration

package controllers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/controllers"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

// One tenant's runs waiting on an endpoint that never answers, more of them than there are
// analysis workers, do not hold back another tenant's run: it fails on its first measurement
// within its deadline (the measurement's own time plus a reconcile: well under 15 s) instead of
// after the black holes' 60 s timeouts.
func TestRunsWaitingOnABlackHoleDoNotStallOthers(t *testing.T) {
	hole := "http://" + testenv.BlackHole(t) + "/metrics"
	tenantA, tenantB := namespace(t), namespace(t)
	stalled := controllers.DefaultAnalysisWorkers + 4
	for i := range stalled {
		create(t, &v1alpha1.AnalysisRun{
			ObjectMeta: metav1.ObjectMeta{Namespace: tenantA, Name: fmt.Sprintf("stalled-%d", i)},
			Spec: v1alpha1.AnalysisRunSpec{Metrics: []v1alpha1.Metric{{
				Name: "hangs", Interval: "1s",
				Provider: v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{URL: hole, TimeoutSeconds: 60}},
			}}},
		})
	}
	t.Cleanup(func() {
		_ = env.Client.DeleteAllOf(context.Background(), &v1alpha1.AnalysisRun{}, client.InNamespace(tenantA))
	})
	// Every stalled run has its call in flight before the honest run exists.
	testenv.Eventually(t, timeout, "every stalled run started", func(ctx context.Context) (bool, string, error) {
		list := &v1alpha1.AnalysisRunList{}
		if err := env.Client.List(ctx, list, client.InNamespace(tenantA)); err != nil {
			return false, "", err
		}
		started := 0
		for _, r := range list.Items {
			if r.Status.StartedAt != nil {
				started++
			}
		}
		return started == stalled, fmt.Sprintf("%d of %d", started, stalled), nil
	})

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"ok": false}`) }))
	defer srv.Close()
	honest := webRun(tenantB, "honest", srv.URL, func(m *v1alpha1.Metric) {
		m.Provider.Web.Headers = nil
		m.Count = ptr.To(intstr.FromInt32(1))
	})
	honest.Spec.Args = nil
	create(t, honest)
	run := &v1alpha1.AnalysisRun{}
	testenv.Eventually(t, 15*time.Second, "the honest run Failed", func(ctx context.Context) (bool, string, error) {
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: tenantB, Name: "honest"}, run); err != nil {
			return false, "", client.IgnoreNotFound(err)
		}
		return run.Status.Phase == v1alpha1.AnalysisPhaseFailed, string(run.Status.Phase) + ": " + run.Status.Message, nil
	})
}
