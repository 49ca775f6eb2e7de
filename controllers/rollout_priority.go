package controllers

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/plan"
)

// The Rollout controller's queue is controller-runtime's priority queue: what must act now is
// reconciled before routine work, however long the queue. Routine work (a ReplicaSet's pods
// becoming ready, a timed requeue) has priority 0; the initial list and resyncs have
// handler.LowPriority; urgent events have UrgentPriority.

// UrgentPriority is the queue priority of events that must act now: a user's abort or
// promotion, a template put back to the stable revision, an AnalysisRun that failed.
const UrgentPriority = 100

// routinePriority is what a reconcile's own requeue (a pause or delay ending) goes back with,
// so that an urgent event's priority does not stick to its Rollout.
var routinePriority = ptr.To(0)

type requestQueue = workqueue.TypedRateLimitingInterface[reconcile.Request]

// add enqueues req, urgently when urgent.
func add(q requestQueue, req reconcile.Request, urgent bool) {
	pq, ok := q.(priorityqueue.PriorityQueue[reconcile.Request])
	if !urgent || !ok {
		q.Add(req)
		return
	}
	pq.AddWithOpts(priorityqueue.AddOpts{Priority: ptr.To(UrgentPriority)}, req)
}

// rolloutEvents enqueues a Rollout for its own changes, urgent ones first; gone tells the
// reconciler a Rollout was deleted, so that nothing is kept for it.
func rolloutEvents(gone func(client.Object)) handler.EventHandler {
	return handler.TypedFuncs[client.Object, reconcile.Request]{
		CreateFunc: func(_ context.Context, e event.CreateEvent, q requestQueue) {
			q.Add(reconcile.Request{NamespacedName: client.ObjectKeyFromObject(e.Object)})
		},
		UpdateFunc: func(_ context.Context, e event.UpdateEvent, q requestQueue) {
			old, okOld := e.ObjectOld.(*v1alpha1.Rollout)
			cur, okNew := e.ObjectNew.(*v1alpha1.Rollout)
			if !okOld || !okNew {
				return
			}
			add(q, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(cur)}, plan.UrgentChange(old, cur))
		},
		DeleteFunc: func(_ context.Context, e event.DeleteEvent, q requestQueue) {
			gone(e.Object)
			q.Add(reconcile.Request{NamespacedName: client.ObjectKeyFromObject(e.Object)})
		},
	}
}

// forgetting wraps an event handler so that gone hears of every deleted object first.
func forgetting(h handler.EventHandler, gone func(client.Object)) handler.EventHandler {
	return handler.TypedFuncs[client.Object, reconcile.Request]{
		CreateFunc: h.Create,
		UpdateFunc: h.Update,
		DeleteFunc: func(ctx context.Context, e event.DeleteEvent, q requestQueue) {
			gone(e.Object)
			h.Delete(ctx, e, q)
		},
		GenericFunc: h.Generic,
	}
}

// runEvents enqueues the Rollout that owns an AnalysisRun; urgently when the run just failed
// or errored (the Rollout aborts on it).
func runEvents() handler.EventHandler {
	owner := func(o client.Object) (reconcile.Request, bool) {
		ref := metav1.GetControllerOf(o)
		if ref == nil || ref.Kind != "Rollout" || ref.APIVersion != v1alpha1.GroupVersion.String() {
			return reconcile.Request{}, false
		}
		return reconcile.Request{NamespacedName: client.ObjectKey{Namespace: o.GetNamespace(), Name: ref.Name}}, true
	}
	return handler.TypedFuncs[client.Object, reconcile.Request]{
		CreateFunc: func(_ context.Context, e event.CreateEvent, q requestQueue) {
			if req, ok := owner(e.Object); ok {
				q.Add(req)
			}
		},
		UpdateFunc: func(_ context.Context, e event.UpdateEvent, q requestQueue) {
			old, okOld := e.ObjectOld.(*v1alpha1.AnalysisRun)
			cur, okNew := e.ObjectNew.(*v1alpha1.AnalysisRun)
			req, ok := owner(e.ObjectNew)
			if !okOld || !okNew || !ok {
				return
			}
			add(q, req, failed(cur.Status.Phase) && !failed(old.Status.Phase))
		},
		DeleteFunc: func(_ context.Context, e event.DeleteEvent, q requestQueue) {
			if req, ok := owner(e.Object); ok {
				q.Add(req)
			}
		},
	}
}

func failed(p v1alpha1.AnalysisPhase) bool {
	return p == v1alpha1.AnalysisPhaseFailed || p == v1alpha1.AnalysisPhaseError
}
