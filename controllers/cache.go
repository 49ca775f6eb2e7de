package controllers

import (
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
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
// cached object without its managedFields (Rollouts keep theirs: they say who aborted) or
// kubectl's last-applied copy.
func CacheOptions(opts Options) cache.Options {
	byObject := map[client.Object]cache.ByObject{
		&appsv1.ReplicaSet{}:    {Label: exists(v1alpha1.PodTemplateHashLabel), Transform: slim(true)},
		&batchv1.Job{}:          {Label: exists(job.AnalysisRunLabel), Transform: slim(true)},
		&corev1.Service{}:       {Transform: selectorOnly},
		&networkingv1.Ingress{}: {Transform: slim(true)},
		&v1alpha1.Rollout{}:     {Label: opts.Shard, Transform: slim(false)},
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
