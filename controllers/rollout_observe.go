package controllers

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/plan"
	"github.com/ramp-dev/ramp/pkg/traffic"
)

// observe reads what the planner needs, from the cache: the Rollout's ReplicaSets, Services,
// pods (only while a restart is pending), AnalysisRuns and merged templates, canary Ingresses,
// orphans it may adopt, and what its router routes. It only reads. A nil Input means not now:
// a ReplicaSet status the cache has not caught up with will bring the Rollout back.
func (r *RolloutReconciler) observe(ctx context.Context, ro *v1alpha1.Rollout) (*plan.Input, traffic.Router, error) {
	rss, orphans, err := r.replicaSets(ctx, ro)
	if err != nil {
		return nil, nil, err
	}
	if name := r.expected.stale(rss); name != "" {
		log.FromContext(ctx).V(1).Info("waiting for replicaset status to catch up", "replicaset", name)
		return nil, nil, nil
	}
	in := &plan.Input{Rollout: ro, ReplicaSets: rss, Orphans: orphans, Now: r.Clock.Now(), DefaultedTemplate: r.defaultedTemplate(ctx, ro, append(slices.Clone(rss), orphans...))}
	if in.Services, err = r.services(ctx, ro); err != nil {
		return nil, nil, err
	}
	if plan.RestartPending(ro) {
		if in.Pods, err = r.pods(ctx, ro); err != nil {
			return nil, nil, err
		}
	}
	if in.CanaryIngresses, err = r.canaryIngresses(ctx, ro); err != nil {
		return nil, nil, err
	}
	if in.Runs, err = r.analysisRuns(ctx, ro); err != nil {
		return nil, nil, err
	}
	if in.AnalysisSpecs, in.AnalysisInvalid, err = r.analysisSpecs(ctx, ro); err != nil {
		return nil, nil, err
	}
	router := r.router(ro)
	if router != nil {
		if in.Traffic, err = observeTraffic(ctx, ro, router); err != nil {
			return nil, nil, err
		}
	}
	return in, router, nil
}

// services returns the Services the Rollout names, nil for those that do not exist.
func (r *RolloutReconciler) services(ctx context.Context, ro *v1alpha1.Rollout) (map[string]*corev1.Service, error) {
	out := map[string]*corev1.Service{}
	for _, name := range serviceNames(ro) {
		svc := &corev1.Service{}
		err := r.Get(ctx, client.ObjectKey{Namespace: ro.Namespace, Name: name}, svc)
		switch {
		case apierrors.IsNotFound(err):
			out[name] = nil
		case err != nil:
			return nil, fmt.Errorf("get service %s/%s: %w", ro.Namespace, name, err)
		default:
			out[name] = svc
		}
	}
	return out, nil
}
