//go:build e2e

package e2e

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/e2e/exporter"
	"github.com/ramp-dev/ramp/e2e/framework"
	"github.com/ramp-dev/ramp/e2e/prometheus"
	"github.com/ramp-dev/ramp/internal/monitoring"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

// analysisWorld is a namespace with a controller, a test exporter whose versions' error rates
// the test sets, a real Prometheus scraping it, and an AnalysisTemplate "error-rate" over it.
type analysisWorld struct {
	ns   string
	exp  *exporter.Exporter
	prom *prometheus.Server
	ctrl *framework.Controller
}

// errorRateQuery is the share of 500s among a version's requests over the last 5 s.
const errorRateQuery = `(sum(rate(http_requests_total{version="{{args.version}}",code="500"}[5s])) or vector(0)) / sum(rate(http_requests_total{version="{{args.version}}"}[5s]))`

func newAnalysisWorld(t *testing.T, metricExtra string) *analysisWorld {
	t.Helper()
	w := &analysisWorld{ns: cluster.Namespace(t), exp: exporter.New()}
	t.Cleanup(w.exp.Close)
	w.exp.SetErrorRate("v2", 0)
	w.prom = prometheus.Start(t, []string{w.exp.Addr()})
	if err := w.prom.WaitTargetsUp(time.Minute); err != nil {
		t.Fatal(err)
	}
	// rate() needs two samples in its window: wait until v2's error rate has a value.
	w.waitErrorRate(t, "v2", func(float64) bool { return true })
	w.ctrl = cluster.StartController(t, controllerBin)
	w.applyTemplate(t, "error-rate", "    count: 3\n"+metricExtra)
	return w
}

// applyTemplate applies an AnalysisTemplate of the error rate of {{args.version}}, measured
// every second; metricLines (indented four spaces) add to its metric (count, limits).
func (w *analysisWorld) applyTemplate(t *testing.T, name, metricLines string) {
	t.Helper()
	cluster.Apply(t, w.ns, []byte(fmt.Sprintf(`
apiVersion: rollouts.ramp.dev/v1alpha1
kind: AnalysisTemplate
metadata: {name: %s}
spec:
  args:
  - name: version
  - name: address
    value: %q
  metrics:
  - name: error-rate
    interval: 1s
    successCondition: result[0] < 0.05
    failureCondition: result[0] >= 0.05
%s    provider:
      prometheus:
        address: "{{args.address}}"
        query: %q
`, name, w.prom.Address(), metricLines, errorRateQuery)))
}

// waitErrorRate polls Prometheus until the version's error rate satisfies ok.
func (w *analysisWorld) waitErrorRate(t *testing.T, version string, ok func(float64) bool) {
	t.Helper()
	query := strings.ReplaceAll(errorRateQuery, "{{args.version}}", version)
	testenv.Eventually(t, time.Minute, "prometheus: error rate of "+version, func(ctx context.Context) (bool, string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.prom.Address()+"/api/v1/query?query="+url.QueryEscape(query), nil)
		if err != nil {
			return false, "", err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false, err.Error(), nil
		}
		defer resp.Body.Close()
		var body struct {
			Data struct {
				Result []struct {
					Value [2]any `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || len(body.Data.Result) == 0 {
			return false, fmt.Sprintf("no value (%v)", err), nil
		}
		text, _ := body.Data.Result[0].Value[1].(string)
		v, err := strconv.ParseFloat(text, 64)
		return err == nil && ok(v), text, nil
	})
}

// rollout applies the Rollout web (4 replicas) with steps and, optionally, background analysis.
func (w *analysisWorld) rollout(t *testing.T, image, background string, steps ...string) {
	t.Helper()
	applyRolloutWith(t, w.ns, 4, image, background, steps...)
}

const analyseV2 = `analysis: {templates: [{templateName: error-rate}], args: [{name: version, value: v2}]}`

func abortedByAnalysis(ro *v1alpha1.Rollout) bool {
	return phaseIs(v1alpha1.RolloutPhaseDegraded)(ro) && ro.Status.Abort && strings.Contains(ro.Status.Message, "AnalysisRun")
}

// A healthy canary passes its analysis step and completes; the next release, whose version
// fails 50% of its requests, is aborted by the same step, and the message says why.
func TestAnalysisStepPassesThenAbortsABadVersion(t *testing.T) {
	w := newAnalysisWorld(t, "")
	w.rollout(t, "web:1", "", "setWeight: 25", analyseV2, "setWeight: 50")
	waitRollout(t, w.ns, "first revision Healthy", healthyAt(w.ns, "web:1"))

	setImage(t, w.ns, "web:2")
	waitRollout(t, w.ns, "web:2 Healthy after a passing analysis", healthyAt(w.ns, "web:2"))
	waitTimeline(t, w.ns, "a passed run and its measurements", func(reasons []string) bool {
		return count(reasons, v1alpha1.ReasonAnalysisPassed) == 1 && count(reasons, v1alpha1.ReasonMeasurement) >= 3
	})

	w.exp.SetErrorRate("v2", 0.5)
	setImage(t, w.ns, "web:3")
	ro := waitRollout(t, w.ns, "web:3 aborted by its analysis", abortedByAnalysis)
	if !strings.Contains(ro.Status.Message, "error-rate") {
		t.Errorf("message %q does not name the failed metric", ro.Status.Message)
	}
	// The vector answer is a list of one sample, as in Argo Rollouts: the template's
	// result[0] conditions judged it.
	if !strings.Contains(ro.Status.Message, "value [0.") {
		t.Errorf("message %q does not show the measured one-sample list", ro.Status.Message)
	}
	waitRollout(t, w.ns, "stable back to full scale", func(ro *v1alpha1.Rollout) bool {
		return replicaSetReplicas(t, w.ns)[ro.Status.StableRS] == 4 && ro.Status.AvailableReplicas >= 4
	})

	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	code, body, err := get(context.Background(), insecure, "https://"+w.ctrl.MetricAddr+"/metrics", cluster.Config.BearerToken)
	if err != nil || code != http.StatusOK {
		t.Fatalf("metrics: status %d, error %v", code, err)
	}
	// web:3's first measurements may still see the error rate from before the spike: the count
	// of Successful ones is at least web:2's three.
	for _, line := range []string{
		`ramp_analysis_measurements_total{phase="Successful",provider="prometheus"} `,
		`ramp_analysis_measurements_total{phase="Failed",provider="prometheus"} 1`,
		`ramp_analysis_runs_total{phase="Successful"} 1`,
		`ramp_analysis_runs_total{phase="Failed"} 1`,
		`ramp_analysis_measurement_duration_seconds_count{provider="prometheus"} `,
	} {
		if !strings.Contains(body, line) {
			t.Errorf("metrics lack %s; they have:\n%s", line, grepLines(body, "ramp_analysis"))
		}
	}
	if n := metricValue(body, `ramp_analysis_measurements_total{phase="Successful",provider="prometheus"}`); n < 3 {
		t.Errorf("%v Successful measurements counted, want at least 3", n)
	}
	checkMonitoringUsesExportedMetrics(t, body)
}

// checkMonitoringUsesExportedMetrics: every metric the Grafana dashboard and the alert rules
// query is one this scrape of a controller that has released and aborted with analysis has.
func checkMonitoringUsesExportedMetrics(t *testing.T, scrape string) {
	t.Helper()
	dashboard, err := monitoring.DashboardQueries(filepath.Join(framework.RepoRoot(), "config", "grafana", "ramp-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := monitoring.RuleQueries(filepath.Join(framework.RepoRoot(), "config", "prometheus", "rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	families := monitoring.Families(scrape)
	names := monitoring.MetricNames(append(dashboard, rules...))
	for _, name := range names {
		if !monitoring.Exported(name, families) {
			t.Errorf("the dashboard or the alert rules query %s, which the controller does not export", name)
		}
	}
	if len(names) < 10 {
		t.Errorf("only %d metric names found in the dashboard and rules: %v", len(names), names)
	}
}

// metricValue is the value of the sample whose name and labels are series, -1 when absent.
func metricValue(body, series string) float64 {
	for _, l := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(l, series+" "); ok {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				return f
			}
		}
	}
	return -1
}

// grepLines is the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// Background analysis from step 1 aborts the rollout in the middle of an indefinite pause.
func TestBackgroundAnalysisAbortsMidPause(t *testing.T) {
	w := newAnalysisWorld(t, "")
	// Without a count, the background analysis measures until the rollout ends: a race-free
	// "bad in the middle of the pause".
	w.applyTemplate(t, "error-rate-until-done", "")
	bg := "      analysis: {templates: [{templateName: error-rate-until-done}], args: [{name: version, value: v2}], startingStep: 1}\n"
	w.rollout(t, "web:1", bg, "setWeight: 25", "pause: {}")
	waitRollout(t, w.ns, "first revision Healthy", healthyAt(w.ns, "web:1"))
	setImage(t, w.ns, "web:2")
	waitRollout(t, w.ns, "paused with background analysis running", func(ro *v1alpha1.Rollout) bool {
		s := ro.Status.Canary.CurrentBackgroundAnalysisRunStatus
		return phaseIs(v1alpha1.RolloutPhasePaused)(ro) && s != nil && s.Status == v1alpha1.AnalysisPhaseRunning
	})
	w.exp.SetErrorRate("v2", 0.9)
	waitRollout(t, w.ns, "aborted mid-pause", abortedByAnalysis)
}

// Prometheus stops mid-run: Error measurements, and after consecutiveErrorLimit of them in a
// row the run is Error and the rollout aborts. It never promotes.
func TestPrometheusOutageAbortsNeverPromotes(t *testing.T) {
	w := newAnalysisWorld(t, "    consecutiveErrorLimit: 2\n")
	w.rollout(t, "web:1", "", "setWeight: 25", `analysis: {templates: [{templateName: error-rate}], args: [{name: version, value: v2}]}`, "setWeight: 50")
	waitRollout(t, w.ns, "first revision Healthy", healthyAt(w.ns, "web:1"))
	w.prom.Stop()
	setImage(t, w.ns, "web:2")
	ro := waitRollout(t, w.ns, "aborted after errors in a row", abortedByAnalysis)
	if ptr.Deref(ro.Status.CurrentStepIndex, -1) != 0 {
		t.Errorf("step index %d after the abort, want 0 (as Argo)", ptr.Deref(ro.Status.CurrentStepIndex, -1))
	}
	waitTimeline(t, w.ns, "aborted with only setWeight 25 completed: never past the analysis step", func(reasons []string) bool {
		return count(reasons, v1alpha1.ReasonAborted) == 1 && count(reasons, v1alpha1.ReasonStepCompleted) == 1
	})
	if s := ro.Status.Canary.CurrentStepAnalysisRunStatus; s == nil || s.Status != v1alpha1.AnalysisPhaseError {
		t.Errorf("step run status %+v, want Error", s)
	}
}

// Bad PromQL fails the run with Prometheus's own message.
func TestBadPromQLFailsWithPrometheussMessage(t *testing.T) {
	w := newAnalysisWorld(t, "")
	cluster.Apply(t, w.ns, []byte(fmt.Sprintf(`
apiVersion: rollouts.ramp.dev/v1alpha1
kind: AnalysisTemplate
metadata: {name: broken}
spec:
  metrics:
  - name: broken
    consecutiveErrorLimit: 0
    successCondition: result[0] < 1
    provider:
      prometheus: {address: %q, query: "sum(rate(http_requests_total[5s]"}
`, w.prom.Address())))
	w.rollout(t, "web:1", "", "setWeight: 25", "analysis: {templates: [{templateName: broken}]}")
	waitRollout(t, w.ns, "first revision Healthy", healthyAt(w.ns, "web:1"))
	setImage(t, w.ns, "web:2")
	ro := waitRollout(t, w.ns, "aborted by the broken query", abortedByAnalysis)
	if !strings.Contains(ro.Status.Message, "parse error") {
		t.Errorf("message %q lacks Prometheus's parse error", ro.Status.Message)
	}
}

// A query that finds no data is Inconclusive: the rollout pauses until promoted.
func TestInconclusiveAnalysisWaitsForPromote(t *testing.T) {
	w := newAnalysisWorld(t, "")
	w.rollout(t, "web:1", "", "setWeight: 25", `analysis: {templates: [{templateName: error-rate}], args: [{name: version, value: nobody}]}`, "setWeight: 50")
	waitRollout(t, w.ns, "first revision Healthy", healthyAt(w.ns, "web:1"))
	setImage(t, w.ns, "web:2")
	waitRollout(t, w.ns, "paused on an Inconclusive run", func(ro *v1alpha1.Rollout) bool {
		return phaseIs(v1alpha1.RolloutPhasePaused)(ro) && len(ro.Status.PauseConditions) == 1 &&
			ro.Status.PauseConditions[0].Reason == v1alpha1.PauseReasonInconclusiveAnalysis
	})
	promote(t, w.ns)
	waitRollout(t, w.ns, "web:2 Healthy once promoted", healthyAt(w.ns, "web:2"))
}

// A template that does not exist, then an argument nothing gives: Degraded with the field
// named, nothing released; fixed, the release goes on.
func TestMissingTemplateOrArgIsDegraded(t *testing.T) {
	w := newAnalysisWorld(t, "")
	w.rollout(t, "web:1", "", "setWeight: 25", "analysis: {templates: [{templateName: nope}]}")
	ro := waitRollout(t, w.ns, "Degraded naming the template", func(ro *v1alpha1.Rollout) bool {
		return phaseIs(v1alpha1.RolloutPhaseDegraded)(ro) && strings.Contains(ro.Status.Message, "steps[1].analysis.templates[0]: AnalysisTemplate "+w.ns+"/nope not found")
	})
	if len(replicaSetReplicas(t, w.ns)) != 0 {
		t.Errorf("replicasets created while Degraded: %v (%s)", replicaSetReplicas(t, w.ns), ro.Status.Message)
	}
	w.rollout(t, "web:1", "", "setWeight: 25", "analysis: {templates: [{templateName: error-rate}]}")
	waitRollout(t, w.ns, "Degraded naming the argument", func(ro *v1alpha1.Rollout) bool {
		return phaseIs(v1alpha1.RolloutPhaseDegraded)(ro) && strings.Contains(ro.Status.Message, `argument "version"`)
	})
	w.rollout(t, "web:1", "", "setWeight: 25", analyseV2)
	waitRollout(t, w.ns, "Healthy once fixed", healthyAt(w.ns, "web:1"))
}

// dryRun metrics are measured and recorded but never abort.
func TestDryRunMetricNeverAborts(t *testing.T) {
	w := newAnalysisWorld(t, "")
	w.exp.SetErrorRate("v2", 0.5)
	w.rollout(t, "web:1", "", "setWeight: 25", `analysis: {templates: [{templateName: error-rate}], args: [{name: version, value: v2}], dryRun: [{metricName: error-rate}]}`)
	waitRollout(t, w.ns, "first revision Healthy", healthyAt(w.ns, "web:1"))
	setImage(t, w.ns, "web:2")
	waitRollout(t, w.ns, "web:2 Healthy despite the failing dry-run metric", healthyAt(w.ns, "web:2"))
	waitTimeline(t, w.ns, "the failed measurement recorded, no abort", func(reasons []string) bool {
		return count(reasons, v1alpha1.ReasonMeasurement) >= 1 && count(reasons, v1alpha1.ReasonAborted) == 0
	})
	runs := &v1alpha1.AnalysisRunList{}
	if err := cluster.Client.List(context.Background(), runs, client.InNamespace(w.ns)); err != nil || len(runs.Items) != 1 {
		t.Fatalf("analysis runs: %d (%v)", len(runs.Items), err)
	}
	res := runs.Items[0].Status.MetricResults
	if runs.Items[0].Status.Phase != v1alpha1.AnalysisPhaseSuccessful || len(res) != 1 || !res[0].DryRun || res[0].Phase != v1alpha1.AnalysisPhaseFailed {
		t.Errorf("run %s, metric results %+v: want a Successful run whose dry-run metric Failed", runs.Items[0].Status.Phase, res)
	}
}
