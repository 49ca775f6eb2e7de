package v1alpha1

import "strconv"

// GatewayAPITrafficRouting configures the Gateway API router: the HTTPRoutes and GRPCRoutes, in
// the Rollout's namespace, whose rules send traffic to both stableService and canaryService.
// +kubebuilder:validation:XValidation:rule="has(self.httpRoute) || has(self.httpRoutes) || has(self.grpcRoute) || has(self.grpcRoutes)",message="gatewayAPI names at least one route: set httpRoute, httpRoutes, grpcRoute or grpcRoutes"
// +kubebuilder:validation:XValidation:rule="!(has(self.httpRoute) && has(self.httpRoutes))",message="gatewayAPI sets one of httpRoute, httpRoutes"
// +kubebuilder:validation:XValidation:rule="!(has(self.grpcRoute) && has(self.grpcRoutes))",message="gatewayAPI sets one of grpcRoute, grpcRoutes"
type GatewayAPITrafficRouting struct {
	// HTTPRoute is the name of one HTTPRoute, all of whose rules that route to canaryService
	// are split.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +optional
	HTTPRoute string `json:"httpRoute,omitempty"`
	// HTTPRoutes is HTTPRoute for several HTTPRoutes, each optionally narrowed to some rules.
	// +kubebuilder:validation:MaxItems=16
	// +listType=map
	// +listMapKey=name
	// +optional
	HTTPRoutes []GatewayAPIRoute `json:"httpRoutes,omitempty"`
	// GRPCRoute is the name of one GRPCRoute, all of whose rules that route to canaryService
	// are split.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +optional
	GRPCRoute string `json:"grpcRoute,omitempty"`
	// GRPCRoutes is GRPCRoute for several GRPCRoutes.
	// +kubebuilder:validation:MaxItems=16
	// +listType=map
	// +listMapKey=name
	// +optional
	GRPCRoutes []GatewayAPIRoute `json:"grpcRoutes,omitempty"`
}

// GatewayAPIRoute names a route and, optionally, which of its rules to split.
type GatewayAPIRoute struct {
	// Name is the route's name, in the Rollout's namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// Rules are the rules to split, by name or by index; every rule with a backendRef to
	// canaryService when unset. A selected rule must have backendRefs to both Services.
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +optional
	Rules []GatewayAPIRuleSelector `json:"rules,omitempty"`
	// UseHeaderRoutes adds the rules of setHeaderRoute and setMirrorRoute steps to this route;
	// true when unset.
	// +optional
	UseHeaderRoutes *bool `json:"useHeaderRoutes,omitempty"`
}

// GatewayAPIRuleSelector selects one rule of a route: by its name, or by its index among the
// route's own rules (the rules ramp adds for header and mirror routes are not counted).
// +kubebuilder:validation:XValidation:rule="has(self.name) != has(self.index)",message="a rule selector sets exactly one of name, index"
type GatewayAPIRuleSelector struct {
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Name string `json:"name,omitempty"`
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=15
	// +optional
	Index *int32 `json:"index,omitempty"`
}

// GatewayAPIRouteKind is the kind of a route the Gateway API router splits.
type GatewayAPIRouteKind string

const (
	HTTPRouteKind GatewayAPIRouteKind = "HTTPRoute"
	GRPCRouteKind GatewayAPIRouteKind = "GRPCRoute"
)

// GatewayAPIRouteRef is one route gatewayAPI names, with the Rollout field that names it.
type GatewayAPIRouteRef struct {
	Kind GatewayAPIRouteKind
	// Field is the Rollout field naming the route, for messages.
	Field string
	GatewayAPIRoute
}

// Routes are the routes g names, HTTPRoutes first, the shorthand fields as one-entry lists.
func (g *GatewayAPITrafficRouting) Routes() []GatewayAPIRouteRef {
	const field = "spec.strategy.canary.trafficRouting.gatewayAPI."
	var out []GatewayAPIRouteRef
	add := func(kind GatewayAPIRouteKind, one string, many []GatewayAPIRoute, oneField, manyField string) {
		if one != "" {
			out = append(out, GatewayAPIRouteRef{Kind: kind, Field: field + oneField, GatewayAPIRoute: GatewayAPIRoute{Name: one}})
		}
		for i, r := range many {
			out = append(out, GatewayAPIRouteRef{Kind: kind, Field: field + manyField + "[" + strconv.Itoa(i) + "]", GatewayAPIRoute: r})
		}
	}
	add(HTTPRouteKind, g.HTTPRoute, g.HTTPRoutes, "httpRoute", "httpRoutes")
	add(GRPCRouteKind, g.GRPCRoute, g.GRPCRoutes, "grpcRoute", "grpcRoutes")
	return out
}

// UsesHeaderRoutes: setHeaderRoute and setMirrorRoute add their rules to this route.
func (r GatewayAPIRoute) UsesHeaderRoutes() bool {
	return r.UseHeaderRoutes == nil || *r.UseHeaderRoutes
}
