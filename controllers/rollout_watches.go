package controllers

import (
	"context"
	"fmt"

	networkingistio "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/plan"
)

// referenceIndex indexes Rollouts by the objects they name ("Service/web-stable",
// "Ingress/web", "VirtualService/web"), so a change to one finds the Rollouts to plan again.
const referenceIndex = "rollout.references"

// ownerIndex indexes ReplicaSets, canary Ingresses and AnalysisRuns by the UID of the Rollout
// that controls them (orphanKey for ownerless ones).
const ownerIndex = "metadata.controller.rollout"

// references are the index keys of the objects a Rollout names.
func references(ro *v1alpha1.Rollout) []string {
	var keys []string
	for _, n := range serviceNames(ro) {
		keys = append(keys, "Service/"+n)
	}
	for _, a := range plan.Analyses(ro) {
		for _, t := range a.Analysis.Templates {
			kind := "AnalysisTemplate/"
			if t.ClusterScope {
				kind = "ClusterAnalysisTemplate/"
			}
			keys = append(keys, kind+t.TemplateName)
		}
	}
	if ref := ro.Spec.WorkloadRef; ref != nil {
		keys = append(keys, "Deployment/"+ref.Name)
	}
	c := ro.Spec.Strategy.Canary
	if c == nil {
		return keys
	}
	if tr := c.TrafficRouting; tr != nil && tr.Nginx != nil {
		for _, n := range tr.Nginx.Ingresses() {
			// the canary name too: freeing a name someone else's Ingress took must wake the Rollout
			keys = append(keys, "Ingress/"+n, "Ingress/"+v1alpha1.CanaryIngressName(ro.Name, n))
		}
	}
	if tr := c.TrafficRouting; tr != nil && tr.Istio != nil {
		for _, vs := range tr.Istio.VirtualServiceList() {
			keys = append(keys, "VirtualService/"+vs.Name)
		}
		if dr := tr.Istio.DestinationRule; dr != nil {
			keys = append(keys, "DestinationRule/"+dr.Name)
		}
	}
	if tr := c.TrafficRouting; tr != nil && tr.GatewayAPI != nil {
		for _, rt := range tr.GatewayAPI.Routes() {
			keys = append(keys, string(rt.Kind)+"/"+rt.Name)
		}
	}
	return keys
}

// serviceNames are the Services the Rollout names, and those a finished managed release still
// has to hand back (status.managed).
func serviceNames(ro *v1alpha1.Rollout) []string {
	names := ro.ServiceNames()
	if m := ro.Status.Managed; m != nil {
		names = v1alpha1.Distinct(append(names, m.CanaryService, m.StableService))
	}
	return names
}

// SetupWithManager registers the reconciler: Rollouts (urgent changes first, see
// rollout_priority.go), the ReplicaSets, canary Ingresses and AnalysisRuns they own, and the
// Services, Ingresses, workloadRef Deployments and (when their CRDs are installed) VirtualServices, DestinationRules,
// HTTPRoutes and GRPCRoutes they name.
func (r *RolloutReconciler) SetupWithManager(mgr ctrl.Manager) error {
	ctx := context.Background()
	if err := mgr.GetFieldIndexer().IndexField(ctx, &v1alpha1.Rollout{}, referenceIndex, func(o client.Object) []string {
		return references(o.(*v1alpha1.Rollout))
	}); err != nil {
		return fmt.Errorf("index rollouts by the objects they name: %w", err)
	}
	for _, owned := range []client.Object{&networkingv1.Ingress{}, &v1alpha1.AnalysisRun{}, &appsv1.ReplicaSet{}} {
		if err := mgr.GetFieldIndexer().IndexField(ctx, owned, ownerIndex, ownerRollout); err != nil {
			return fmt.Errorf("index %T by rollout: %w", owned, err)
		}
	}
	// What Owns would do, which controller-runtime allows only beside For.
	owned := handler.EnqueueRequestForOwner(mgr.GetScheme(), mgr.GetRESTMapper(), &v1alpha1.Rollout{}, handler.OnlyControllerOwner())
	b := ctrl.NewControllerManagedBy(mgr).
		Named("rollout").
		WithOptions(controller.Options{MaxConcurrentReconciles: r.Options.rolloutWorkers()}).
		Watches(&v1alpha1.Rollout{}, rolloutEvents(r.forgetRollout)).
		Watches(&appsv1.ReplicaSet{}, forgetting(owned, func(o client.Object) { r.expected.forget(o.GetUID()) })).
		Watches(&networkingv1.Ingress{}, owned).
		Watches(&v1alpha1.AnalysisRun{}, runEvents()).
		Watches(&v1alpha1.AnalysisTemplate{}, r.enqueueNaming("AnalysisTemplate")).
		Watches(&v1alpha1.ClusterAnalysisTemplate{}, r.enqueueNaming("ClusterAnalysisTemplate")).
		Watches(&corev1.Service{}, r.enqueueNaming("Service")).
		Watches(&appsv1.Deployment{}, r.enqueueNaming("Deployment")).
		Watches(&networkingv1.Ingress{}, r.enqueueNaming("Ingress"))
	if istioInstalled(mgr) {
		b = b.Watches(&networkingistio.VirtualService{}, r.enqueueNaming("VirtualService")).
			Watches(&networkingistio.DestinationRule{}, r.enqueueNaming("DestinationRule"))
	} else {
		mgr.GetLogger().Info("Istio's CRDs are not installed: Rollouts routing with istio are Degraded until they are and the controller restarts")
	}
	for _, route := range []struct {
		kind string
		obj  client.Object
	}{{"HTTPRoute", &gatewayv1.HTTPRoute{}}, {"GRPCRoute", &gatewayv1.GRPCRoute{}}} {
		if kind := route.kind; served(mgr, gatewayv1.SchemeGroupVersion.WithKind(kind)) {
			b = b.Watches(route.obj, r.enqueueNaming(kind))
		} else {
			mgr.GetLogger().Info("the Gateway API's CRDs are not installed: Rollouts routing with gatewayAPI are Degraded until they are and the controller restarts", "kind", route.kind)
		}
	}
	return b.Complete(r)
}

// orphanKey indexes the objects no controller owns (ReplicaSets a Rollout may adopt).
const orphanKey = "orphan"

// ownerRollout is the index key of an object a Rollout controls: the Rollout's UID, or
// orphanKey when nothing controls it.
func ownerRollout(o client.Object) []string {
	owner := metav1.GetControllerOf(o)
	switch {
	case owner == nil:
		return []string{orphanKey}
	case owner.Kind == "Rollout" && owner.APIVersion == v1alpha1.GroupVersion.String():
		return []string{string(owner.UID)}
	}
	return nil
}

// istioInstalled: the API server serves networking.istio.io/v1 VirtualServices.
func istioInstalled(mgr ctrl.Manager) bool {
	return served(mgr, networkingistio.SchemeGroupVersion.WithKind("VirtualService"))
}

// served: the API server serves gvk (an error other than "no such kind" counts as served: the
// watch then retries).
func served(mgr ctrl.Manager, gvk schema.GroupVersionKind) bool {
	_, err := mgr.GetRESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
	return err == nil || !meta.IsNoMatchError(err)
}

// enqueueNaming maps an object of a kind to the Rollouts in its namespace that name it.
func (r *RolloutReconciler) enqueueNaming(kind string) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		list := &v1alpha1.RolloutList{}
		if err := r.List(ctx, list, client.InNamespace(o.GetNamespace()), client.MatchingFields{referenceIndex: kind + "/" + o.GetName()}); err != nil {
			return nil
		}
		reqs := make([]reconcile.Request, len(list.Items))
		for i, ro := range list.Items {
			reqs[i] = reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&ro)}
		}
		return reqs
	})
}
