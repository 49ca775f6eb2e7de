package controllers

import (
	"context"
	"errors"
	"fmt"
	"slices"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/plan"
	"github.com/ramp-dev/ramp/pkg/traffic"
	"github.com/ramp-dev/ramp/pkg/traffic/gatewayapi"
	"github.com/ramp-dev/ramp/pkg/traffic/istio"
	"github.com/ramp-dev/ramp/pkg/traffic/nginx"
)

// +kubebuilder:rbac:groups=networking.k8s.io,resources=ingresses,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=networking.istio.io,resources=virtualservices;destinationrules,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=httproutes;grpcroutes,verbs=get;list;watch;patch

// router is the Rollout's router; nil without trafficRouting. Adding a data plane means one
// package under pkg/traffic and one case here.
func (r *RolloutReconciler) router(ro *v1alpha1.Rollout) traffic.Router {
	m := plan.ManagedBySpec(ro)
	if m == nil {
		return nil
	}
	return r.routerFor(ro, *m)
}

// routerFor is the router of what m names (the spec's, or the one status.managed recorded);
// nil when m has no trafficRouting.
func (r *RolloutReconciler) routerFor(ro *v1alpha1.Rollout, c v1alpha1.ManagedTraffic) traffic.Router {
	tr := c.TrafficRouting
	if tr == nil {
		return nil
	}
	switch {
	case tr.Nginx != nil:
		return nginx.New(r.Client, nginx.Config{
			Namespace:                    ro.Namespace,
			RolloutName:                  ro.Name,
			Owner:                        *metav1.NewControllerRef(ro, v1alpha1.GroupVersion.WithKind("Rollout")),
			StableIngresses:              tr.Nginx.Ingresses(),
			StableService:                c.StableService,
			CanaryService:                c.CanaryService,
			AnnotationPrefix:             tr.Nginx.AnnotationPrefix,
			AdditionalIngressAnnotations: tr.Nginx.AdditionalIngressAnnotations,
			CanaryIngressAnnotations:     tr.Nginx.CanaryIngressAnnotations,
			MaxWeight:                    tr.TotalWeight(),
		})
	case tr.Istio != nil:
		return istio.New(r.Client, istio.Config{
			Namespace:       ro.Namespace,
			StableService:   c.StableService,
			CanaryService:   c.CanaryService,
			VirtualServices: tr.Istio.VirtualServiceList(),
			DestinationRule: tr.Istio.DestinationRule,
			ManagedRoutes:   managedRouteNames(tr),
		})
	case tr.GatewayAPI != nil:
		return gatewayapi.New(r.Client, gatewayapi.Config{
			Namespace:     ro.Namespace,
			StableService: c.StableService,
			CanaryService: c.CanaryService,
			Routes:        tr.GatewayAPI.Routes(),
			ManagedRoutes: managedRouteNames(tr),
			TotalWeight:   tr.TotalWeight(),
		})
	}
	return nil
}

func managedRouteNames(tr *v1alpha1.RolloutTrafficRouting) []string {
	var names []string
	for _, m := range tr.ManagedRoutes {
		names = append(names, m.Name)
	}
	return names
}

// observeTraffic asks the router what it routes now. A reference the Rollout's author must fix
// is reported to the planner, which degrades the Rollout; other errors are retried.
func observeTraffic(ctx context.Context, ro *v1alpha1.Rollout, router traffic.Router) (*plan.Traffic, error) {
	st, err := router.Verify(ctx)
	if msg, ok := traffic.IsInvalid(err); ok {
		return &plan.Traffic{Invalid: msg}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s routing of rollout %s/%s: %w", router.Type(), ro.Namespace, ro.Name, err)
	}
	return &plan.Traffic{State: st}, nil
}

// release returns the router the spec no longer names to the stable revision: by deleting
// the canary Ingresses the plan names (NGINX), or by weight 0 and then no managed routes. Objects already gone or changed beyond recognition (the user's own edit)
// are noted and let go.
func (r *RolloutReconciler) release(ctx context.Context, ro *v1alpha1.Rollout, in *plan.Input, rel *plan.Release) ([]plan.Note, error) {
	if rel == nil {
		return nil, nil
	}
	if rel.ByDeletion {
		return r.deleteIngresses(ctx, in, rel.DeleteIngresses)
	}
	router := r.routerFor(ro, rel.Managed)
	if router == nil {
		return nil, nil
	}
	err := router.SetWeight(ctx, rel.Traffic)
	if _, invalid := traffic.IsInvalid(err); err == nil || invalid {
		// The managed routes send requests to the canary too: they go even when the weights
		// cannot be set back (the user changed the route beyond recognition).
		err = errors.Join(err, router.RemoveManagedRoutes(ctx))
	}
	if msg, ok := traffic.IsInvalid(err); ok {
		return []plan.Note{{Reason: v1alpha1.ReasonTrafficInvalid, Warning: true,
			Message: fmt.Sprintf("the %s routing ramp used before cannot be returned to stable, left as it is where it could not be: %s", router.Type(), msg)}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("return the %s routing of rollout %s/%s to stable: %w", router.Type(), ro.Namespace, ro.Name, err)
	}
	return nil, nil
}

// setWeight has the router route the plan's weight; once it does, the status reports it and
// the timeline notes the change.
func setWeight(ctx context.Context, ro *v1alpha1.Rollout, router traffic.Router, p *plan.Plan) ([]plan.Note, error) {
	if router == nil {
		return nil, nil
	}
	if err := router.SetWeight(ctx, *p.Traffic); err != nil {
		return nil, fmt.Errorf("set %s canary weight of rollout %s/%s to %d: %w", router.Type(), ro.Namespace, ro.Name, p.Traffic.CanaryWeight, err)
	}
	p.Status.Canary.Weights = p.ConfirmedWeights
	return notes(p.WeightNote), nil
}

// setRoutes has the router add and remove the plan's managed routes.
func setRoutes(ctx context.Context, router traffic.Router, p *plan.Plan) ([]plan.Note, error) {
	if router == nil {
		return nil, nil
	}
	if err := setManagedRoutes(ctx, router, p.Traffic); err != nil {
		return nil, err
	}
	return notes(p.RoutesNote), nil
}

func notes(n *plan.Note) []plan.Note {
	if n == nil {
		return nil
	}
	return []plan.Note{*n}
}

// setManagedRoutes removes the managed routes d lets go and sets those it wants.
func setManagedRoutes(ctx context.Context, router traffic.Router, d *traffic.Desired) error {
	if d.RemoveAllRoutes {
		if err := router.RemoveManagedRoutes(ctx); err != nil {
			return fmt.Errorf("remove %s managed routes: %w", router.Type(), err)
		}
		return nil
	}
	hr, headers := router.(traffic.HeaderRouter)
	mr, mirrors := router.(traffic.MirrorRouter)
	for _, name := range d.RemoveRoutes {
		// A route with no match is removed; the name says nothing of its kind, so ask both.
		if headers {
			if err := hr.SetHeaderRoute(ctx, traffic.HeaderRoute{Name: name}); err != nil {
				return fmt.Errorf("remove %s header route %s: %w", router.Type(), name, err)
			}
		}
		if mirrors {
			if err := mr.SetMirrorRoute(ctx, traffic.MirrorRoute{Name: name}); err != nil {
				return fmt.Errorf("remove %s mirror route %s: %w", router.Type(), name, err)
			}
		}
	}
	for _, h := range d.HeaderRoutes {
		if !headers {
			return fmt.Errorf("%s cannot route by header", router.Type()) // Validate rejects such specs
		}
		if err := hr.SetHeaderRoute(ctx, h); err != nil {
			return fmt.Errorf("set %s header route %s: %w", router.Type(), h.Name, err)
		}
	}
	for _, m := range d.MirrorRoutes {
		if !mirrors {
			return fmt.Errorf("%s cannot mirror", router.Type()) // Validate rejects such specs
		}
		if err := mr.SetMirrorRoute(ctx, m); err != nil {
			return fmt.Errorf("set %s mirror route %s: %w", router.Type(), m.Name, err)
		}
	}
	return nil
}

// canaryIngresses are the Ingresses the Rollout owns: its NGINX canary Ingresses.
func (r *RolloutReconciler) canaryIngresses(ctx context.Context, ro *v1alpha1.Rollout) ([]*networkingv1.Ingress, error) {
	list := &networkingv1.IngressList{}
	if err := r.List(ctx, list, client.InNamespace(ro.Namespace), client.MatchingFields{ownerIndex: string(ro.UID)}); err != nil {
		return nil, fmt.Errorf("list canary ingresses of %s/%s: %w", ro.Namespace, ro.Name, err)
	}
	out := make([]*networkingv1.Ingress, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	return out, nil
}

// deleteIngresses deletes the canary Ingresses the plan names, each as it was observed (a UID
// precondition: never another object that took the name since).
func (r *RolloutReconciler) deleteIngresses(ctx context.Context, in *plan.Input, names []string) ([]plan.Note, error) {
	var notes []plan.Note
	for _, ing := range in.CanaryIngresses {
		if !slices.Contains(names, ing.Name) {
			continue
		}
		if err := r.Delete(ctx, ing, client.Preconditions{UID: &ing.UID}); client.IgnoreNotFound(err) != nil {
			return notes, fmt.Errorf("delete canary ingress %s/%s: %w", ing.Namespace, ing.Name, err)
		}
		notes = append(notes, plan.Note{Reason: v1alpha1.ReasonRouteChanged,
			Message: fmt.Sprintf("canary Ingress %s deleted: trafficRouting.nginx no longer names its stable Ingress", ing.Name)})
	}
	return notes, nil
}
