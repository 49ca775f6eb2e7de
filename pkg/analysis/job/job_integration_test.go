//go:build integration

package job_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/analysis"
	"github.com/ramp-dev/ramp/pkg/analysis/job"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

// The envtest API server has no Job controller: a Job never runs, and the tests write its
// status themselves through the status subresource, as the Job controller would. The API
// server (v1.37) checks that status; what it demands, found by trying:
//
//   - any finished Job (Complete or Failed) needs status.startTime, and no active Pods;
//   - startTime, once set, cannot change (while the Job is not suspended);
//   - Complete=True needs SuccessCriteriaMet=True beside it, and status.completionTime (not
//     before startTime); status.succeeded may stay 0;
//   - Failed=True needs FailureTarget=True beside it, and must not set completionTime (only a
//     Complete Job has one);
//   - SuccessCriteriaMet or FailureTarget alone is allowed: the Job is finishing (its Pods
//     terminating) but not finished, and the provider still reports Running.

var (
	env *testenv.Env
	ctx = context.Background()
)

// TestMain starts one API server for every test in the package; each test works in a
// namespace of its own.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if env, err = testenv.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	return m.Run()
}

// namespace creates a namespace named after the test, with a random end so that -count=2
// runs the test again in a fresh one.
func namespace(t *testing.T) string {
	t.Helper()
	prefix := strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(prefix) > 50 {
		prefix = strings.Trim(prefix[len(prefix)-50:], "-")
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}
	if err := env.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// jobMetric is a job metric as users write one.
func jobMetric(name string) v1alpha1.Metric {
	return v1alpha1.Metric{Name: name, Provider: v1alpha1.MetricProvider{Job: &v1alpha1.JobMetric{
		Metadata: metav1.ObjectMeta{
			Labels:      map[string]string{"team": "web", job.AnalysisRunLabel: "spoofed"},
			Annotations: map[string]string{"purpose": "smoke test"},
		},
		Spec: batchv1.JobSpec{
			BackoffLimit: new(int32),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "smoke"}},
				Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					Containers:    []corev1.Container{{Name: "smoke", Image: "curlimages/curl", Args: []string{"-f", "http://web-canary/healthz"}}},
				},
			},
		},
	}}}
}

// newRun creates an AnalysisRun with the metrics in ns, as the Rollout controller would: the
// provider needs its UID for the Jobs' owner reference.
func newRun(t *testing.T, ns, name string, metrics ...v1alpha1.Metric) *v1alpha1.AnalysisRun {
	t.Helper()
	run := &v1alpha1.AnalysisRun{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       v1alpha1.AnalysisRunSpec{Metrics: metrics},
	}
	if err := env.Client.Create(ctx, run); err != nil {
		t.Fatal(err)
	}
	return run
}

func getJob(t *testing.T, ns, name string) *batchv1.Job {
	t.Helper()
	j := &batchv1.Job{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, j); err != nil {
		t.Fatalf("get Job %s: %v", name, err)
	}
	return j
}

func jobsIn(t *testing.T, ns string) []string {
	t.Helper()
	list := &batchv1.JobList{}
	if err := env.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, j := range list.Items {
		names = append(names, j.Name)
	}
	return names
}

func trueCondition(t batchv1.JobConditionType, reason, msg string) batchv1.JobCondition {
	return batchv1.JobCondition{Type: t, Status: corev1.ConditionTrue, Reason: reason, Message: msg, LastTransitionTime: metav1.Now()}
}

// setStatus writes a Job's status as the Job controller would.
func setStatus(t *testing.T, ns, name string, mutate func(*batchv1.JobStatus)) {
	t.Helper()
	j := getJob(t, ns, name)
	mutate(&j.Status)
	if err := env.Client.Status().Update(ctx, j); err != nil {
		t.Fatalf("update status of Job %s: %v", name, err)
	}
}

// started sets the start time a Job has from its first Pod on, unless it has one (it cannot
// change).
func started(s *batchv1.JobStatus) {
	if s.StartTime == nil {
		start := metav1.NewTime(time.Now().Add(-time.Minute))
		s.StartTime = &start
	}
}

// succeed marks a Job complete the way the API server accepts.
func succeed(t *testing.T, ns, name string) {
	t.Helper()
	setStatus(t, ns, name, func(s *batchv1.JobStatus) {
		started(s)
		end := metav1.Now()
		s.CompletionTime, s.Succeeded = &end, 1
		s.Conditions = append(s.Conditions,
			trueCondition(batchv1.JobSuccessCriteriaMet, batchv1.JobReasonCompletionsReached, "Reached expected number of succeeded pods"),
			trueCondition(batchv1.JobComplete, batchv1.JobReasonCompletionsReached, "Reached expected number of succeeded pods"))
	})
}

// fail marks a Job failed the way the API server accepts.
func fail(t *testing.T, ns, name, msg string) {
	t.Helper()
	setStatus(t, ns, name, func(s *batchv1.JobStatus) {
		started(s)
		s.Failed, s.Active = 1, 0
		s.Conditions = append(s.Conditions,
			trueCondition(batchv1.JobFailureTarget, batchv1.JobReasonBackoffLimitExceeded, msg),
			trueCondition(batchv1.JobFailed, batchv1.JobReasonBackoffLimitExceeded, msg))
	})
}

// measurement is what the controller records of a Running result, for the next look.
func measurement(res analysis.Result) *v1alpha1.Measurement {
	return &v1alpha1.Measurement{Phase: v1alpha1.AnalysisPhaseRunning, Message: res.Message, Metadata: res.Metadata}
}

func wantRunning(t *testing.T, res analysis.Result, jobName string) {
	t.Helper()
	if res.Err != nil || !res.Running || res.Succeeded || res.Failed || res.NoData || res.Metadata[job.JobNameKey] != jobName {
		t.Fatalf("result %+v, want Running with job-name %s", res, jobName)
	}
}

func wantErr(t *testing.T, res analysis.Result, parts ...string) {
	t.Helper()
	if res.Err == nil || res.Running || res.Succeeded || res.Failed {
		t.Fatalf("result %+v, want an error", res)
	}
	for _, p := range parts {
		if !strings.Contains(res.Err.Error(), p) {
			t.Errorf("error %q, want it to contain %q", res.Err, p)
		}
	}
	if res.Message != res.Err.Error() {
		t.Errorf("message %q, want the error's text", res.Message)
	}
}

func TestCreateIsIdempotent(t *testing.T) {
	ns := namespace(t)
	m := jobMetric("smoke")
	run := newRun(t, ns, "web-7d9f", m)
	p := job.New(env.Client)
	if p.Type() != "job" {
		t.Errorf("Type() = %q", p.Type())
	}

	res := p.Measure(ctx, run, m, nil)
	wantRunning(t, res, "web-7d9f-smoke-1")
	j := getJob(t, ns, "web-7d9f-smoke-1")
	if j.Labels["team"] != "web" || j.Labels[job.AnalysisRunLabel] != "web-7d9f" || j.Annotations["purpose"] != "smoke test" {
		t.Errorf("labels %v annotations %v: want the metric's, and the run's label over the metric's", j.Labels, j.Annotations)
	}
	owner := metav1.GetControllerOf(j)
	if owner == nil || owner.UID != run.UID || owner.Kind != "AnalysisRun" || owner.APIVersion != "rollouts.ramp.dev/v1alpha1" || owner.Name != "web-7d9f" {
		t.Errorf("controller %+v, want the AnalysisRun", owner)
	}
	c := j.Spec.Template.Spec.Containers
	if len(c) != 1 || c[0].Image != "curlimages/curl" || j.Spec.Template.Labels["app"] != "smoke" || *j.Spec.BackoffLimit != 0 {
		t.Errorf("spec %+v, want the metric's", j.Spec)
	}

	// The controller may measure twice when its status write does not land: the same Job.
	again := p.Measure(ctx, run, m, nil)
	wantRunning(t, again, "web-7d9f-smoke-1")
	if jobs := jobsIn(t, ns); len(jobs) != 1 {
		t.Fatalf("Jobs %v after measuring twice, want one", jobs)
	}

	// The next measurement (one counted) is a Job of its own.
	run.Status.MetricResults = []v1alpha1.MetricResult{{Name: "other", Count: 7}, {Name: "smoke", Count: 1}}
	wantRunning(t, p.Measure(ctx, run, m, nil), "web-7d9f-smoke-2")
	if jobs := jobsIn(t, ns); len(jobs) != 2 {
		t.Fatalf("Jobs %v, want two", jobs)
	}
}

// A Job that happens to have the measurement's name but is not the run's is not taken over.
func TestForeignJobWithTheName(t *testing.T) {
	ns := namespace(t)
	m := jobMetric("smoke")
	run := newRun(t, ns, "web", m)
	foreign := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "web-smoke-1", Namespace: ns}, Spec: m.Provider.Job.Spec}
	if err := env.Client.Create(ctx, foreign); err != nil {
		t.Fatal(err)
	}
	wantErr(t, job.New(env.Client).Measure(ctx, run, m, nil), "Job "+ns+"/web-smoke-1 exists that AnalysisRun web does not own")
}

func TestSucceeds(t *testing.T) {
	ns := namespace(t)
	m := jobMetric("smoke")
	run := newRun(t, ns, "web", m)
	p := job.New(env.Client)
	prev := measurement(p.Measure(ctx, run, m, nil))

	wantRunning(t, p.Measure(ctx, run, m, prev), "web-smoke-1")

	// Pods running, then the success criteria met while the Pods terminate: still Running.
	setStatus(t, ns, "web-smoke-1", func(s *batchv1.JobStatus) {
		started(s)
		s.Active = 1
	})
	wantRunning(t, p.Measure(ctx, run, m, prev), "web-smoke-1")
	setStatus(t, ns, "web-smoke-1", func(s *batchv1.JobStatus) {
		s.Active = 0
		s.Conditions = append(s.Conditions, trueCondition(batchv1.JobSuccessCriteriaMet, batchv1.JobReasonCompletionsReached, ""))
	})
	wantRunning(t, p.Measure(ctx, run, m, prev), "web-smoke-1")

	succeed(t, ns, "web-smoke-1")
	res := p.Measure(ctx, run, m, prev)
	if !res.Succeeded || res.Failed || res.Running || res.Err != nil || res.Metadata[job.JobNameKey] != "web-smoke-1" {
		t.Fatalf("result %+v, want Succeeded", res)
	}
}

func TestFails(t *testing.T) {
	ns := namespace(t)
	m := jobMetric("smoke")
	run := newRun(t, ns, "web", m)
	p := job.New(env.Client)
	prev := measurement(p.Measure(ctx, run, m, nil))

	// The failure decided, the Pods still terminating: Running.
	setStatus(t, ns, "web-smoke-1", func(s *batchv1.JobStatus) {
		started(s)
		s.Conditions = append(s.Conditions, trueCondition(batchv1.JobFailureTarget, batchv1.JobReasonBackoffLimitExceeded, "Job has reached the specified backoff limit"))
	})
	wantRunning(t, p.Measure(ctx, run, m, prev), "web-smoke-1")

	fail(t, ns, "web-smoke-1", "Job has reached the specified backoff limit")
	res := p.Measure(ctx, run, m, prev)
	if !res.Failed || res.Succeeded || res.Running || res.Err != nil || res.Metadata[job.JobNameKey] != "web-smoke-1" {
		t.Fatalf("result %+v, want Failed", res)
	}
	if res.Message != "Job has reached the specified backoff limit" {
		t.Errorf("message %q, want the Failed condition's", res.Message)
	}
}

// A Failed condition without a message is told by its reason.
func TestFailsWithoutMessage(t *testing.T) {
	ns := namespace(t)
	m := jobMetric("smoke")
	run := newRun(t, ns, "web", m)
	p := job.New(env.Client)
	prev := measurement(p.Measure(ctx, run, m, nil))
	setStatus(t, ns, "web-smoke-1", func(s *batchv1.JobStatus) {
		started(s)
		s.Conditions = append(s.Conditions,
			trueCondition(batchv1.JobFailureTarget, batchv1.JobReasonDeadlineExceeded, ""),
			trueCondition(batchv1.JobFailed, batchv1.JobReasonDeadlineExceeded, ""))
	})
	if res := p.Measure(ctx, run, m, prev); !res.Failed || res.Message != batchv1.JobReasonDeadlineExceeded {
		t.Fatalf("result %+v, want Failed with the reason", res)
	}
}

// A Job the API server refuses for another reason than its spec is an Error with its words.
func TestCreateRefused(t *testing.T) {
	m := jobMetric("smoke")
	run := newRun(t, namespace(t), "web", m)
	run.Namespace = "no-such-namespace"
	wantErr(t, job.New(env.Client).Measure(ctx, run, m, nil), "create Job no-such-namespace/web-smoke-1", `namespaces "no-such-namespace" not found`)
}

func TestVanished(t *testing.T) {
	ns := namespace(t)
	m := jobMetric("smoke")
	run := newRun(t, ns, "web", m)
	p := job.New(env.Client)
	prev := measurement(p.Measure(ctx, run, m, nil))
	if err := env.Client.Delete(ctx, getJob(t, ns, "web-smoke-1"), client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil {
		t.Fatal(err)
	}
	res := p.Measure(ctx, run, m, prev)
	wantErr(t, res, "Job "+ns+"/web-smoke-1 vanished")
	if res.Metadata[job.JobNameKey] != "web-smoke-1" {
		t.Errorf("metadata %v, want the Job's name kept", res.Metadata)
	}

	// Replaced by a Job of someone else's: not the measurement's.
	foreign := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "web-smoke-1", Namespace: ns}, Spec: m.Provider.Job.Spec}
	if err := env.Client.Create(ctx, foreign); err != nil {
		t.Fatal(err)
	}
	wantErr(t, p.Measure(ctx, run, m, prev), "replaced")

	// A running measurement without the Job's name cannot be looked at.
	wantErr(t, p.Measure(ctx, run, m, &v1alpha1.Measurement{Phase: v1alpha1.AnalysisPhaseRunning}), "no job-name")
}

func TestTerminate(t *testing.T) {
	ns := namespace(t)
	m := jobMetric("smoke")
	run := newRun(t, ns, "web", m)
	p := job.New(env.Client)
	prev := measurement(p.Measure(ctx, run, m, nil))

	if err := p.Terminate(ctx, run, m, prev); err != nil {
		t.Fatal(err)
	}
	// Background propagation deletes the Job at once and leaves its Pods to the garbage
	// collector. (batch/v1's default, orphan, would keep the Job with an orphan finalizer
	// until a garbage collector, absent here, removed it; foreground would keep it until
	// its Pods are gone.)
	err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web-smoke-1"}, &batchv1.Job{})
	if !apierrors.IsNotFound(err) {
		t.Fatalf("get Job after Terminate: %v, want not found", err)
	}
	// Twice, or with nothing created, is no error.
	if err := p.Terminate(ctx, run, m, prev); err != nil {
		t.Errorf("second Terminate: %v", err)
	}
	if err := p.Terminate(ctx, run, m, nil); err != nil {
		t.Errorf("Terminate without measurement: %v", err)
	}
	if err := p.Terminate(ctx, run, m, &v1alpha1.Measurement{Phase: v1alpha1.AnalysisPhaseError}); err != nil {
		t.Errorf("Terminate of a measurement without Job: %v", err)
	}
}

// What the default deletion would do, to show that Terminate's propagation matters.
func TestDefaultDeletionOrphans(t *testing.T) {
	ns := namespace(t)
	m := jobMetric("smoke")
	j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "plain", Namespace: ns}, Spec: m.Provider.Job.Spec}
	if err := env.Client.Create(ctx, j); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Delete(ctx, j); err != nil {
		t.Fatal(err)
	}
	got := getJob(t, ns, "plain")
	if got.DeletionTimestamp == nil || len(got.Finalizers) != 1 || got.Finalizers[0] != metav1.FinalizerOrphanDependents {
		t.Fatalf("deleted without a policy: deletion %v finalizers %v, want kept with the orphan finalizer", got.DeletionTimestamp, got.Finalizers)
	}
}

func TestRejectedSpec(t *testing.T) {
	ns := namespace(t)
	tests := []struct {
		name   string
		mutate func(*batchv1.JobSpec)
		want   []string
	}{
		{"restart policy", func(s *batchv1.JobSpec) { s.Template.Spec.RestartPolicy = "" },
			[]string{"the API server rejected the Job", "spec.template.spec.restartPolicy", `"OnFailure", "Never"`}},
		{"no containers", func(s *batchv1.JobSpec) { s.Template.Spec.Containers = nil },
			[]string{"spec.template.spec.containers: Required value"}},
		{"negative backoff", func(s *batchv1.JobSpec) { s.BackoffLimit = new(int32); *s.BackoffLimit = -1 },
			[]string{"spec.backoffLimit"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := jobMetric("smoke")
			tt.mutate(&m.Provider.Job.Spec)
			run := newRun(t, ns, fmt.Sprintf("web-%d", i), m)
			res := job.New(env.Client).Measure(ctx, run, m, nil)
			wantErr(t, res, tt.want...)
			t.Log(res.Err)
			if res.Metadata[job.JobNameKey] != "" {
				t.Errorf("metadata %v for a Job never created", res.Metadata)
			}
		})
	}
	if jobs := jobsIn(t, ns); len(jobs) != 0 {
		t.Errorf("Jobs %v, want none", jobs)
	}
}

// Long run names, and run and metric names a Job's name cannot hold, still make names the API server
// takes, the same on every call.
func TestNamesTheServerTakes(t *testing.T) {
	ns := namespace(t)
	long := "web-" + strings.Repeat("canary.", 30) + "rev9"
	metrics := []v1alpha1.Metric{jobMetric("Error_Rate"), jobMetric(strings.Repeat("m", 63))}
	run := newRun(t, ns, long, metrics...)
	p := job.New(env.Client)
	for _, m := range metrics {
		res := p.Measure(ctx, run, m, nil)
		if res.Err != nil {
			t.Fatalf("metric %s: %v", m.Name, res.Err)
		}
		name := res.Metadata[job.JobNameKey]
		if len(name) > 63 || !strings.HasSuffix(name, "-1") || name != job.JobName(long, m.Name, 1) {
			t.Errorf("metric %s: Job %q", m.Name, name)
		}
		wantRunning(t, p.Measure(ctx, run, m, nil), name)
		j := getJob(t, ns, name)
		if v := j.Labels[job.AnalysisRunLabel]; len(v) > 63 || !strings.HasPrefix(v, "web-canary.") {
			t.Errorf("run label %q", v)
		}
	}
	if jobs := jobsIn(t, ns); len(jobs) != 2 {
		t.Errorf("Jobs %v, want one per metric", jobs)
	}
	// One label value finds all the run's Jobs.
	label := getJob(t, ns, jobsIn(t, ns)[0]).Labels[job.AnalysisRunLabel]
	list := &batchv1.JobList{}
	if err := env.Client.List(ctx, list, client.InNamespace(ns), client.MatchingLabels{job.AnalysisRunLabel: label}); err != nil || len(list.Items) != 2 {
		t.Errorf("Jobs by the run label %q: %d, %v", label, len(list.Items), err)
	}
}
