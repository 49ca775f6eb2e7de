package controllers

import (
	"bytes"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/analysis/job"
)

// lastAppliedAnnotation is kubectl apply's copy of an object: as large as the object, and
// never read by ramp.
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// CacheOptions bounds the manager's cache by what ramp manages rather than by the cluster:
// ReplicaSets only with ramp's revision label, Services as their metadata and selector (all
// that ramp reads of them; it writes them with merge patches of the selector alone) (a Deployment's are not ramp's), Jobs only those
// the analysis job provider created, Rollouts and AnalysisRuns only of the shard; and every
// cached object without its managedFields (of a Rollout's, only who set status.abort stays) or
// kubectl's last-applied copy.
func CacheOptions(opts Options) cache.Options {
	byObject := map[client.Object]cache.ByObject{
		&appsv1.ReplicaSet{}:    {Label: exists(v1alpha1.PodTemplateHashLabel), Transform: slim(true)},
		&batchv1.Job{}:          {Label: exists(job.AnalysisRunLabel), Transform: slim(true)},
		&corev1.Service{}:       {Transform: selectorOnly},
		&networkingv1.Ingress{}: {Transform: slim(true)},
		&v1alpha1.Rollout{}:     {Label: opts.Shard, Transform: slimRollout},
		&v1alpha1.AnalysisRun{}: {Label: opts.Shard, Transform: slim(true)},
	}
	return cache.Options{ByObject: byObject, DefaultTransform: slim(true)}
}

func exists(key string) labels.Selector {
	r, err := labels.NewRequirement(key, selection.Exists, nil)
	if err != nil {
		panic(err) // a constant, valid label key
	}
	return labels.NewSelector().Add(*r)
}

// slim drops from a cached object what ramp never reads: kubectl's last-applied copy and,
// when managedFields is true, the managed fields.
func slim(managedFields bool) toolscache.TransformFunc {
	return func(in any) (any, error) {
		obj, err := meta.Accessor(in)
		if err != nil {
			return in, nil
		}
		if managedFields && obj.GetManagedFields() != nil {
			obj.SetManagedFields(nil)
		}
		if a := obj.GetAnnotations(); a != nil {
			if _, ok := a[lastAppliedAnnotation]; ok {
				delete(a, lastAppliedAnnotation)
				obj.SetAnnotations(a)
			}
		}
		return in, nil
	}
}

// abortOwnership is the one field of a Rollout's managedFields that ramp reads: who set
// status.abort (the timeline names them).
var abortOwnership = []byte(`{"f:status":{"f:abort":{}}}`)

// slimRollout keeps of a cached Rollout's managedFields only the status entries that own
// status.abort, each cut down to that field: the rest (every manager's whole field set) is most
// of an idle Rollout's size in the cache. The controller writes Rollouts only with merge
// patches computed between two copies, so the cut entries are never sent back.
func slimRollout(in any) (any, error) {
	ro, ok := in.(*v1alpha1.Rollout)
	if !ok {
		return slim(true)(in)
	}
	var kept []metav1.ManagedFieldsEntry
	for _, mf := range ro.ManagedFields {
		if mf.Subresource != "status" || mf.FieldsV1 == nil || !bytes.Contains(mf.FieldsV1.Raw, []byte(`"f:abort"`)) {
			continue
		}
		mf.FieldsV1 = &metav1.FieldsV1{Raw: abortOwnership}
		kept = append(kept, mf)
	}
	ro.ManagedFields = kept
	return slim(false)(ro)
}

// selectorOnly keeps of a cached Service its metadata (slimmed) and its selector: a cluster
// has Services by the thousand, ramp reads only the selectors of those its Rollouts name.
func selectorOnly(in any) (any, error) {
	svc, ok := in.(*corev1.Service)
	if !ok {
		return slim(true)(in)
	}
	out := &corev1.Service{TypeMeta: svc.TypeMeta, ObjectMeta: svc.ObjectMeta, Spec: corev1.ServiceSpec{Selector: svc.Spec.Selector}}
	return slim(true)(out)
}
