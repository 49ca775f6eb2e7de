package controllers

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=gateways;gatewayclasses,verbs=get;list;watch

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
			Mirrors:       ro.Spec.Strategy.Canary.MirrorsTraffic(),
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
