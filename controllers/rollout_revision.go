package controllers

import (
	"context"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/workload"
)

// defaultedTemplates remembers, per Rollout (forgotten when it is deleted), its pod template as the API server defaulted it,
// by the hash of the template as written: the dry-run that learns it is made once per template,
// not on every reconcile. Lost on a restart, it is learnt again.
type defaultedTemplates struct {
	mu sync.Mutex
	by map[types.NamespacedName]defaultedTemplate
}

type defaultedTemplate struct {
	hash     string
	template *corev1.PodTemplateSpec
}

func (d *defaultedTemplates) get(key types.NamespacedName, hash string) *corev1.PodTemplateSpec {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.by[key]; ok && e.hash == hash {
		return e.template
	}
	return nil
}

func (d *defaultedTemplates) put(key types.NamespacedName, hash string, tpl *corev1.PodTemplateSpec) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.by == nil {
		d.by = map[types.NamespacedName]defaultedTemplate{}
	}
	d.by[key] = defaultedTemplate{hash: hash, template: tpl}
}

func (d *defaultedTemplates) forget(key types.NamespacedName) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.by, key)
}

// defaultedTemplate observes the Rollout's pod template as the API server defaults it, when the
// planner needs it to tell which revision the template is: no ReplicaSet carries the template's
// hash, and one may be its revision. It asks the API server itself, with a dry-run create of the
// ReplicaSet the template would get (nothing is stored). nil when not needed, or when the
// dry-run is refused: the template is then a new revision, whose real create says why.
func (r *RolloutReconciler) defaultedTemplate(ctx context.Context, ro *v1alpha1.Rollout, rss []*appsv1.ReplicaSet) *corev1.PodTemplateSpec {
	hash, err := workload.TemplateHash(&ro.Spec.Template, ro.Status.CollisionCount)
	if err != nil {
		return nil
	}
	candidate := false
	for _, rs := range rss {
		if workload.HashOf(rs) == hash {
			return nil
		}
		candidate = candidate || workload.MayBeRevisionOf(&ro.Spec.Template, rs)
	}
	if !candidate {
		return nil
	}
	if tpl := r.defaulted.get(client.ObjectKeyFromObject(ro), hash); tpl != nil {
		return tpl
	}
	rs := workload.NewReplicaSet(ro, hash, 0, 0)
	rs.Name, rs.GenerateName = "", ro.Name+"-"
	if err := r.Create(ctx, rs, client.DryRunAll, client.FieldOwner(fieldManager)); err != nil {
		log.FromContext(ctx).V(1).Info("dry-run of the pod template refused: taking it as a new revision", "error", err.Error())
		return nil
	}
	r.defaulted.put(client.ObjectKeyFromObject(ro), hash, &rs.Spec.Template)
	return &rs.Spec.Template
}
