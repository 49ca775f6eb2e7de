package plan

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/note"
	"github.com/ramp-dev/ramp/pkg/traffic"
)

// Input is everything the planner looks at: the Rollout, the ReplicaSets it owns, the Services
// it names (nil when missing) and the time.
type Input struct {
	Rollout     *v1alpha1.Rollout
	ReplicaSets []*appsv1.ReplicaSet
	// CanaryIngresses are the Ingresses the Rollout owns (NGINX canary Ingresses).
	CanaryIngresses []*networkingv1.Ingress
	// Orphans are ReplicaSets no one controls that the Rollout's selector matches and that
	// carry a revision hash: the plan adopts them (Plan.Adopt) and plans them as the Rollout's.
	Orphans  []*appsv1.ReplicaSet
	Services map[string]*corev1.Service
	// Pods are the Rollout's pods; needed (and listed) only while a restartAt is pending.
	Pods []*corev1.Pod
	// Traffic is what the Rollout's router reported; nil without trafficRouting.
	Traffic *Traffic
	// Runs are the AnalysisRuns the Rollout owns.
	Runs []*v1alpha1.AnalysisRun
	// DefaultedTemplate is the Rollout's pod template as the API server defaults it, observed
	// only when no ReplicaSet carries the template's hash and one may be its revision (a
	// template copied back from a ReplicaSet); nil otherwise.
	DefaultedTemplate *corev1.PodTemplateSpec
	// AnalysisSpecs are the specs of the runs of each analysis the Rollout names (its templates
	// merged, MergeTemplates), by the kind of Analyses.
	AnalysisSpecs map[string]v1alpha1.AnalysisRunSpec
	// AnalysisInvalid says which analysis template or argument the Rollout names that does not
	// exist; the Rollout is Degraded and nothing is touched.
	AnalysisInvalid string
	// Workload is the Deployment spec.workloadRef names (nil without one, or when it does not
	// exist); Rollout carries its template already (ResolveWorkload).
	Workload *appsv1.Deployment
	// WorkloadInvalid says why the Deployment spec.workloadRef names cannot be released
	// (ResolveWorkload): the Rollout is Degraded and nothing is touched.
	WorkloadInvalid string
	// NameTaken is the name of a ReplicaSet the plan created that turned out to be taken by an
	// object that is not the revision's (a hash collision): planned again with it, the plan
	// moves status.collisionCount on, and the next pass names the revision anew.
	NameTaken string
	Now       time.Time
}

// Traffic is what a Rollout's router reported before planning.
type Traffic struct {
	State traffic.State
	// Invalid is the router's message when an object trafficRouting names is missing or does
	// not match: the Rollout is Degraded and nothing is re-routed or scaled.
	Invalid string
}

// RestartPending reports whether spec.restartAt asks for pods to be restarted that have not
// been yet: the controller lists pods only then.
func RestartPending(ro *v1alpha1.Rollout) bool {
	at, done := ro.Spec.RestartAt, ro.Status.RestartedAt
	return at != nil && (done == nil || done.Before(at))
}

// Plan is what the controller applies, in order: adopt orphans, release old routing, route, create, point
// Services, scale down, scale up, evict, delete, runs, write status, requeue.
type Plan struct {
	// Adopt names the Orphans the Rollout becomes the controller of, before anything else.
	Adopt []string
	// Create is the current revision's ReplicaSet when it does not exist yet.
	Create *appsv1.ReplicaSet
	// Renumber gives the current revision's ReplicaSet, reused by an undo or a rollback, the
	// next revision number (by name), as a Deployment does: revision numbers order releases.
	Renumber map[string]int64
	// Scale holds the replicas to set, by ReplicaSet name, for those that change.
	Scale map[string]int32
	// Shrink names the ReplicaSets of Scale that go down: they are written after the Services'
	// selectors (no Service is left selecting only pods that are going away) and before the
	// scale-ups (no prefix of the writes runs more pods than maxSurge allows).
	Shrink map[string]bool
	// Metadata holds the side metadata (canaryMetadata or stableMetadata) each ReplicaSet's
	// pods must carry, for those that change: set on its template and on its existing pods.
	Metadata map[string]v1alpha1.PodTemplateMetadata
	// Selectors holds the pod-template hash each named Service must select, for those that change.
	Selectors map[string]string
	// ServiceAnnotations are annotations to set on a Service in the same write as its selector:
	// what the plan must be able to read back from the cluster after a crash before the
	// status write (when the active Service switched).
	ServiceAnnotations map[string]map[string]string
	// Release is routing the spec no longer names, returned to stable before anything else.
	Release *Release
	// Traffic is what the router must route; nil leaves the data plane as it is.
	Traffic *traffic.Desired
	// ConfirmedWeights is what Status.Canary.Weights becomes once the router has taken Traffic
	// (the status otherwise reports the weights the router routed before): nil with no Traffic.
	ConfirmedWeights *v1alpha1.TrafficWeights
	// WeightNote and RoutesNote are the timeline notes of the weight and of the managed routes
	// Traffic changes, recorded once the router has made each change; nil when it changes none.
	WeightNote, RoutesNote *Note
	// StartRuns are AnalysisRuns to create; TerminateRuns, runs to stop; DeleteRuns, finished
	// runs beyond the history limits.
	StartRuns     []RunRequest
	TerminateRuns []string
	DeleteRuns    []string
	// DeleteIngresses names canary Ingresses the spec no longer wants (their stable Ingress
	// left nginx.stableIngresses), deleted last; a Release of NGINX routing deletes them first.
	DeleteIngresses []string
	// Evict names pods to evict (spec.restartAt), one at a time.
	Evict []string
	// RequeueIfEvictionRefused replaces RequeueAfter when a disruption budget refuses an
	// eviction: nothing else wakes the Rollout when the budget allows it again.
	RequeueIfEvictionRefused time.Duration
	// Workload scales the workloadRef Deployment (workloadRef.scaleDown); nil leaves it.
	Workload *WorkloadScale
	// Delete names old, scaled-down ReplicaSets beyond revisionHistoryLimit.
	Delete []string
	// Status is the Rollout's new status.
	Status v1alpha1.RolloutStatus
	// RequeueAfter is when to look again though nothing changes (a pause or delay ends); 0: never.
	RequeueAfter time.Duration
	// Notes are the state transitions this plan makes, for the timeline.
	Notes []Note
}

// Note is one state transition: one log line and one Event with the same reason.
type Note = note.Note

func (p *Plan) note(reason, message string) {
	p.Notes = append(p.Notes, Note{Reason: reason, Message: message})
}

func (p *Plan) warn(reason, message string) {
	p.Notes = append(p.Notes, Note{Reason: reason, Message: message, Warning: true})
}

// requeueAt asks to be called again at t (the earliest of all such asks wins).
func (p *Plan) requeueAt(now, t time.Time) {
	d := t.Sub(now)
	if d <= 0 {
		d = time.Second
	}
	if p.RequeueAfter == 0 || d < p.RequeueAfter {
		p.RequeueAfter = d
	}
}
