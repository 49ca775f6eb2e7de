// Package job is the job analysis provider: a measurement runs a Kubernetes Job and takes the
// Job's outcome as its own.
//
// The first look at a measurement creates the Job <run>-<metric>-<n> (n counts the metric's
// measurements) in the run's namespace, controlled by the AnalysisRun, so that deleting the
// run deletes its Jobs; later looks read the Job's Complete and Failed conditions. The
// controller needs, besides reading AnalysisRuns: get, create and delete on batch jobs, and
// update on rollouts.ramp.dev analysisruns/finalizers (the owner reference sets
// blockOwnerDeletion, which API servers that enforce owner-reference permissions allow only
// to those who may update the owner's finalizers).
package job

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/analysis"
)

const (
	// AnalysisRunLabel is on every Job the provider creates: the AnalysisRun's name (cut and
	// hashed when it is not a valid label value).
	AnalysisRunLabel = "rollouts.ramp.dev/analysis-run"
	// JobNameKey is the measurement metadata key that holds the Job's name.
	JobNameKey = "job-name"
)

// Provider runs Jobs for job metrics. It keeps no state: it may serve every run at once.
type Provider struct {
	c client.Client
}

var (
	_ analysis.Provider   = (*Provider)(nil)
	_ analysis.Terminator = (*Provider)(nil)
)

// New returns the job provider. c creates, reads and deletes Jobs; when it reads from a
// cache, a Job created moments ago may look missing (vanished) until the cache sees it.
func New(c client.Client) *Provider {
	return &Provider{c: c}
}

// Type is "job".
func (p *Provider) Type() string { return "job" }

// Measure creates the measurement's Job when prev is nil, and otherwise looks at the Job prev
// names: Running until the Job is Complete (Succeeded) or Failed (Failed).
func (p *Provider) Measure(ctx context.Context, run *v1alpha1.AnalysisRun, metric v1alpha1.Metric, prev *v1alpha1.Measurement) (res analysis.Result) {
	defer func() {
		if res.Err != nil && res.Message == "" {
			res.Message = res.Err.Error()
		}
	}()
	if metric.Provider.Job == nil {
		return analysis.Result{Err: fmt.Errorf("metric %s has no job provider", metric.Name)}
	}
	if run == nil {
		return analysis.Result{Err: errors.New("no AnalysisRun to run the Job for")}
	}
	if prev == nil {
		return p.start(ctx, run, metric)
	}
	return p.look(ctx, run, prev)
}

// start creates the Job of a new measurement. Called twice for the same measurement (a status
// write that did not land), it finds the Job it created the first time.
func (p *Provider) start(ctx context.Context, run *v1alpha1.AnalysisRun, metric v1alpha1.Metric) analysis.Result {
	job, err := NewJob(run, metric, measurementNumber(run, metric.Name))
	if err != nil {
		return analysis.Result{Err: err}
	}
	meta := map[string]string{JobNameKey: job.Name}
	err = p.c.Create(ctx, job)
	switch {
	case err == nil:
		return analysis.Result{Running: true, Metadata: meta, Message: fmt.Sprintf("Job %s created", job.Name)}
	case apierrors.IsAlreadyExists(err):
		existing := &batchv1.Job{}
		err := p.c.Get(ctx, client.ObjectKeyFromObject(job), existing)
		switch {
		case apierrors.IsNotFound(err):
			// A cache that has not seen our own Job yet; the next look finds it, or finds it gone.
		case err != nil:
			return analysis.Result{Err: fmt.Errorf("get Job %s/%s: %w", job.Namespace, job.Name, err)}
		case !controlledBy(existing, run):
			return analysis.Result{Err: fmt.Errorf("a Job %s/%s exists that AnalysisRun %s does not own: delete or rename it", job.Namespace, job.Name, run.Name)}
		}
		return analysis.Result{Running: true, Metadata: meta, Message: fmt.Sprintf("Job %s created", job.Name)}
	case apierrors.IsInvalid(err):
		return analysis.Result{Err: fmt.Errorf("the API server rejected the Job: %s", apiMessage(err))}
	default:
		return analysis.Result{Err: fmt.Errorf("create Job %s/%s: %w", job.Namespace, job.Name, err)}
	}
}

// look reads the Job of a measurement still running.
func (p *Provider) look(ctx context.Context, run *v1alpha1.AnalysisRun, prev *v1alpha1.Measurement) analysis.Result {
	name := prev.Metadata[JobNameKey]
	if name == "" {
		return analysis.Result{Err: fmt.Errorf("the running measurement has no %s in its metadata", JobNameKey)}
	}
	meta := map[string]string{JobNameKey: name}
	job := &batchv1.Job{}
	err := p.c.Get(ctx, client.ObjectKey{Namespace: run.Namespace, Name: name}, job)
	switch {
	case apierrors.IsNotFound(err):
		return analysis.Result{Metadata: meta, Err: fmt.Errorf("the Job %s/%s vanished before it finished", run.Namespace, name)}
	case err != nil:
		return analysis.Result{Metadata: meta, Err: fmt.Errorf("get Job %s/%s: %w", run.Namespace, name, err)}
	case !controlledBy(job, run):
		return analysis.Result{Metadata: meta, Err: fmt.Errorf("the Job %s/%s was replaced by one AnalysisRun %s does not own", run.Namespace, name, run.Name)}
	}
	if c := condition(job, batchv1.JobFailed); c != nil {
		msg := c.Message
		if msg == "" {
			msg = c.Reason
		}
		if msg == "" {
			msg = "Job " + name + " failed"
		}
		return analysis.Result{Failed: true, Metadata: meta, Message: msg}
	}
	if c := condition(job, batchv1.JobComplete); c != nil {
		return analysis.Result{Succeeded: true, Metadata: meta, Message: fmt.Sprintf("Job %s completed", name)}
	}
	return analysis.Result{Running: true, Metadata: meta}
}

// Terminate deletes the measurement's Job and, in the background, its Pods. A Job already gone
// is not an error.
func (p *Provider) Terminate(ctx context.Context, run *v1alpha1.AnalysisRun, _ v1alpha1.Metric, m *v1alpha1.Measurement) error {
	if m == nil || m.Metadata[JobNameKey] == "" {
		return nil // no Job was created
	}
	if run == nil {
		return errors.New("no AnalysisRun whose Job to delete")
	}
	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: run.Namespace, Name: m.Metadata[JobNameKey]}}
	err := p.c.Delete(ctx, job, client.PropagationPolicy(metav1.DeletePropagationBackground))
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete Job %s/%s: %w", job.Namespace, job.Name, err)
	}
	return nil
}

// NewJob is the Job of measurement n (1 for the first) of metric in run: the metric's labels,
// annotations and spec, in the run's namespace, controlled by the run.
func NewJob(run *v1alpha1.AnalysisRun, metric v1alpha1.Metric, n int) (*batchv1.Job, error) {
	if metric.Provider.Job == nil {
		return nil, fmt.Errorf("metric %s has no job provider", metric.Name)
	}
	if run.Namespace == "" || run.Name == "" || run.UID == "" {
		return nil, errors.New("the AnalysisRun has no namespace, name or UID: it must be read from the API server")
	}
	src := metric.Provider.Job
	labels := maps.Clone(src.Metadata.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[AnalysisRunLabel] = labelValue(run.Name)
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name:            JobName(run.Name, metric.Name, n),
			Namespace:       run.Namespace,
			Labels:          labels,
			Annotations:     maps.Clone(src.Metadata.Annotations),
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(run, v1alpha1.GroupVersion.WithKind("AnalysisRun"))},
		},
		Spec: *src.Spec.DeepCopy(),
	}, nil
}

// JobName is the Job of measurement n of a metric: <run>-<metric>-<n>. When that is longer
// than 63 characters (the most a Job's name may have) or holds characters other than a-z, 0-9
// and dashes (a metric named Error_Rate, a run named web.v2), the characters become dashes, the
// start of <run>-<metric> is kept and a hash of the whole is added: <start>-<hash>-<n>, unique
// and the same on every call.
func JobName(run, metric string, n int) string {
	base := run + "-" + metric
	suffix := "-" + strconv.Itoa(n)
	clean := sanitize(base)
	if clean == base && len(base)+len(suffix) <= validation.DNS1123LabelMaxLength {
		return base + suffix
	}
	sum := sha256.Sum256([]byte(base))
	hash := "-" + hex.EncodeToString(sum[:])[:10]
	keep := validation.DNS1123LabelMaxLength - len(hash) - len(suffix)
	if len(clean) > keep {
		clean = clean[:keep]
	}
	clean = strings.TrimRight(clean, "-")
	if clean == "" {
		clean = "job"
	}
	return clean + hash + suffix
}

// sanitize lower-cases s and turns what a DNS label cannot hold into dashes. Dots go too:
// an Indexed Job's Pods take <job>-<index> as host name, which must be a DNS label.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			return r
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return '-'
	}, s)
}

// labelValue is name when it is a valid label value, or else its start and a hash.
func labelValue(name string) string {
	if len(validation.IsValidLabelValue(name)) == 0 {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	hash := hex.EncodeToString(sum[:])[:10]
	keep := min(len(name), validation.LabelValueMaxLength-len(hash)-1)
	return strings.TrimRight(name[:keep], "-._") + "-" + hash
}

// measurementNumber is the number of the metric's next measurement: its count so far plus one.
func measurementNumber(run *v1alpha1.AnalysisRun, metric string) int {
	for _, r := range run.Status.MetricResults {
		if r.Name == metric {
			return int(r.Count) + 1
		}
	}
	return 1
}

func controlledBy(job *batchv1.Job, run *v1alpha1.AnalysisRun) bool {
	owner := metav1.GetControllerOf(job)
	return owner != nil && owner.UID == run.UID
}

func condition(job *batchv1.Job, t batchv1.JobConditionType) *batchv1.JobCondition {
	for i, c := range job.Status.Conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return &job.Status.Conditions[i]
		}
	}
	return nil
}

// apiMessage is the API server's own words for an error.
func apiMessage(err error) string {
	var status apierrors.APIStatus
	if errors.As(err, &status) && status.Status().Message != "" {
		return status.Status().Message
	}
	return err.Error()
}
