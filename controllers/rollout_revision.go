package controllers

import (
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
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
