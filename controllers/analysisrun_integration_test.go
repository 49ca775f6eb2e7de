//go:build integration

package controllers_test

import (
	"context"
	encjson "encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

// waitRun polls an AnalysisRun until ok says so.
func waitRun(t *testing.T, ns, name, what string, ok func(*v1alpha1.AnalysisRun) bool) *v1alpha1.AnalysisRun {
	t.Helper()
	run := &v1alpha1.AnalysisRun{}
	testenv.Eventually(t, timeout, what, func(ctx context.Context) (bool, string, error) {
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, run); err != nil {
			return false, "", client.IgnoreNotFound(err)
		}
		return ok(run), fmt.Sprintf("%s: %s", run.Status.Phase, run.Status.Message), nil
	})
	return run
}

func webRun(ns, name, url string, metric func(*v1alpha1.Metric)) *v1alpha1.AnalysisRun {
	m := v1alpha1.Metric{
		Name: "ok", Interval: "1s", Count: ptr.To(intstr.FromInt32(2)), SuccessCondition: "result.ok == true",
		Provider: v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{
			URL: url, Headers: []v1alpha1.WebMetricHeader{{Key: "Authorization", Value: "Bearer {{args.token}}"}},
		}},
	}
	if metric != nil {
		metric(&m)
	}
	return &v1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.AnalysisRunSpec{
			Metrics: []v1alpha1.Metric{m},
			Args: []v1alpha1.Argument{{Name: "token", ValueFrom: &v1alpha1.ValueFrom{
				SecretKeyRef: &v1alpha1.SecretKeyRef{Name: "api", Key: "token"},
			}}},
		},
	}
}

// A web metric with a bearer token from a Secret: the run measures count times, the server sees
// the token, and the token appears nowhere in the run, even when the server echoes it back.
func TestAnalysisRunMeasuresAndKeepsSecretsOut(t *testing.T) {
	const token = "s3cr3t-t0ken-value"
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "unauthorized: "+r.Header.Get("Authorization"), http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"ok": true}`)
	}))
	defer srv.Close()
	ns := namespace(t)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "api"}, StringData: map[string]string{"token": token}})

	create(t, webRun(ns, "good", srv.URL, nil))
	run := waitRun(t, ns, "good", "Successful after two measurements", func(r *v1alpha1.AnalysisRun) bool {
		return r.Status.Phase == v1alpha1.AnalysisPhaseSuccessful
	})
	if res := run.Status.MetricResults; len(res) != 1 || res[0].Count != 2 || res[0].Successful != 2 || len(res[0].Measurements) != 2 {
		t.Errorf("metric results %+v: want two Successful measurements", res)
	}

	// The server rejects a wrong token and echoes what it got: the run must not store it.
	if err := env.Client.Delete(context.Background(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "api"}}); err != nil {
		t.Fatal(err)
	}
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "api"}, StringData: map[string]string{"token": token + "-old"}})
	create(t, webRun(ns, "echo", srv.URL, func(m *v1alpha1.Metric) { m.ConsecutiveErrorLimit = ptr.To(intstr.FromInt32(0)) }))
	run = waitRun(t, ns, "echo", "Error after the 401", func(r *v1alpha1.AnalysisRun) bool {
		return r.Status.Phase == v1alpha1.AnalysisPhaseError
	})
	got, err := asJSON(run)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got, token) {
		t.Errorf("the secret appears in the AnalysisRun: %s", got)
	}
	if !strings.Contains(got, "401") {
		t.Errorf("the run does not say the server answered 401: %s", got)
	}
}

// A condition that does not compile fails the run at once, naming it; so does an arg whose
// Secret does not exist.
func TestAnalysisRunRejectsBadConditionsAndArgs(t *testing.T) {
	ns := namespace(t)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "api"}, StringData: map[string]string{"token": "x"}})
	create(t, webRun(ns, "syntax", "http://127.0.0.1:1", func(m *v1alpha1.Metric) { m.SuccessCondition = "result.ok ==" }))
	run := waitRun(t, ns, "syntax", "Error naming the condition", func(r *v1alpha1.AnalysisRun) bool {
		return r.Status.Phase.Completed()
	})
	if run.Status.Phase != v1alpha1.AnalysisPhaseError || !strings.Contains(run.Status.Message, "result.ok ==") || len(run.Status.MetricResults) != 0 {
		t.Errorf("run %s %q with %d results: want Error naming the expression, before any measurement", run.Status.Phase, run.Status.Message, len(run.Status.MetricResults))
	}
	bad := webRun(ns, "nosecret", "http://127.0.0.1:1", nil)
	bad.Spec.Args[0].ValueFrom.SecretKeyRef.Name = "missing"
	create(t, bad)
	run = waitRun(t, ns, "nosecret", "Error naming the Secret", func(r *v1alpha1.AnalysisRun) bool { return r.Status.Phase.Completed() })
	if run.Status.Phase != v1alpha1.AnalysisPhaseError || !strings.Contains(run.Status.Message, "missing") {
		t.Errorf("run %s %q: want Error naming Secret missing", run.Status.Phase, run.Status.Message)
	}
}

func asJSON(v any) (string, error) {
	b, err := encjson.Marshal(v)
	return string(b), err
}

// The Rollout fills its run's args: podTemplateHashValue (Stable, Latest) and fieldRef resolved
// when the run is created; a secretKeyRef kept as a reference for the run to read.
func TestRolloutFillsAnalysisArgs(t *testing.T) {
	ns := namespace(t)
	playReplicaSetController(t, ns)
	tpl := &v1alpha1.AnalysisTemplate{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "check"},
		Spec: v1alpha1.AnalysisTemplateSpec{
			Args: []v1alpha1.Argument{{Name: "stable"}, {Name: "latest"}, {Name: "app"}, {Name: "token", ValueFrom: &v1alpha1.ValueFrom{SecretKeyRef: &v1alpha1.SecretKeyRef{Name: "api", Key: "token"}}}},
			Metrics: []v1alpha1.Metric{{Name: "m", Provider: v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{
				URL: "http://127.0.0.1:1/{{args.stable}}/{{args.latest}}/{{args.app}}",
			}}}},
		},
	}
	create(t, tpl)
	ro := rollout(ns, 2, v1alpha1.CanaryStep{SetWeight: ptr.To[int32](50)}, v1alpha1.CanaryStep{Analysis: &v1alpha1.RolloutAnalysis{
		Templates: []v1alpha1.AnalysisTemplateRef{{TemplateName: "check"}},
		Args: []v1alpha1.AnalysisRunArgument{
			{Name: "stable", ValueFrom: &v1alpha1.ArgumentValueFrom{PodTemplateHashValue: ptr.To("Stable")}},
			{Name: "latest", ValueFrom: &v1alpha1.ArgumentValueFrom{PodTemplateHashValue: ptr.To("Latest")}},
			{Name: "app", ValueFrom: &v1alpha1.ArgumentValueFrom{FieldRef: &v1alpha1.FieldRef{FieldPath: "metadata.labels['app']"}}},
		},
	}})
	ro.Labels = map[string]string{"app": "shop"}
	create(t, ro)
	stable := waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy).Status.StableRS
	setImage(t, ro, "web:2")
	list := &v1alpha1.AnalysisRunList{}
	testenv.Eventually(t, timeout, "the step's AnalysisRun", func(ctx context.Context) (bool, string, error) {
		err := env.Client.List(ctx, list, client.InNamespace(ns))
		return err == nil && len(list.Items) == 1, fmt.Sprint(len(list.Items)), err
	})
	latest := get(t, ro).Status.CurrentPodHash
	args := map[string]string{}
	for _, a := range list.Items[0].Spec.Args {
		switch {
		case a.Value != nil:
			args[a.Name] = *a.Value
		case a.ValueFrom != nil && a.ValueFrom.SecretKeyRef != nil:
			args[a.Name] = "secret:" + a.ValueFrom.SecretKeyRef.Name
		}
	}
	want := map[string]string{"stable": stable, "latest": latest, "app": "shop", "token": "secret:api"}
	if fmt.Sprint(args) != fmt.Sprint(want) || stable == latest {
		t.Errorf("run args %v, want %v", args, want)
	}
	if owner := metav1.GetControllerOf(&list.Items[0]); owner == nil || owner.Name != "web" {
		t.Errorf("run owner %+v, want the Rollout", owner)
	}
	if got := list.Items[0].Labels[v1alpha1.RolloutTypeLabel]; got != "Step" {
		t.Errorf("run label rollout-type=%q, want Argo Rollouts' Step", got)
	}
}

// As in Argo Rollouts, count, interval, initialDelay and the limits take {{args.name}}: the API
// server admits them, the run measures with the args' values, and a value that is not a number
// or a duration ends the run as Error naming the metric, the field and the value.
func TestAnalysisRunTemplatedCountsAndDurations(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		fmt.Fprint(w, `{"ok": true}`)
	}))
	defer srv.Close()
	ns := namespace(t)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "api"}, StringData: map[string]string{"token": "x"}})
	templated := func(name, interval, count string) *v1alpha1.AnalysisRun {
		run := webRun(ns, name, srv.URL, func(m *v1alpha1.Metric) {
			m.Interval, m.InitialDelay = "{{args.interval}}", "{{ args.delay }}"
			m.Count, m.FailureLimit = ptr.To(intstr.FromString("{{args.count}}")), ptr.To(intstr.FromString("{{args.limit}}"))
			m.InconclusiveLimit, m.ConsecutiveErrorLimit = ptr.To(intstr.FromString("{{args.limit}}")), ptr.To(intstr.FromString("{{args.limit}}"))
		})
		run.Spec.Args = append(run.Spec.Args,
			v1alpha1.Argument{Name: "interval", Value: ptr.To(interval)}, v1alpha1.Argument{Name: "delay", Value: ptr.To("0s")},
			v1alpha1.Argument{Name: "count", Value: ptr.To(count)}, v1alpha1.Argument{Name: "limit", Value: ptr.To("1")})
		return run
	}
	create(t, templated("good", "1s", "3"))
	run := waitRun(t, ns, "good", "Successful after three measurements", func(r *v1alpha1.AnalysisRun) bool { return r.Status.Phase.Completed() })
	if res := run.Status.MetricResults; run.Status.Phase != v1alpha1.AnalysisPhaseSuccessful || len(res) != 1 || res[0].Count != 3 {
		t.Errorf("run %s %q, results %+v: want Successful with the templated count of 3", run.Status.Phase, run.Status.Message, res)
	}

	before := calls.Load()
	create(t, templated("bad-interval", "5 minutes", "3"))
	run = waitRun(t, ns, "bad-interval", "Error naming interval", func(r *v1alpha1.AnalysisRun) bool { return r.Status.Phase.Completed() })
	if run.Status.Phase != v1alpha1.AnalysisPhaseError || !strings.Contains(run.Status.Message, `metric ok: interval "5 minutes" is not a duration`) {
		t.Errorf("run %s %q: want Error naming metric ok, interval and its value", run.Status.Phase, run.Status.Message)
	}
	create(t, templated("bad-count", "1s", "three"))
	run = waitRun(t, ns, "bad-count", "Error naming count", func(r *v1alpha1.AnalysisRun) bool { return r.Status.Phase.Completed() })
	if run.Status.Phase != v1alpha1.AnalysisPhaseError || !strings.Contains(run.Status.Message, `metric ok: count "three" is not a whole number`) {
		t.Errorf("run %s %q: want Error naming metric ok, count and its value", run.Status.Phase, run.Status.Message)
	}
	if n := calls.Load() - before; n != 0 {
		t.Errorf("runs with bad templated values measured %d times, want none", n)
	}

	// A literal is still checked at admission.
	literal := webRun(ns, "literal", srv.URL, func(m *v1alpha1.Metric) { m.Interval = "5 minutes" })
	if err := env.Client.Create(context.Background(), literal, client.DryRunAll); err == nil || !strings.Contains(err.Error(), "interval") {
		t.Errorf("interval \"5 minutes\" admitted (err %v), want a rejection naming interval", err)
	}
}
