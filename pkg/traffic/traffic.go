// Package traffic is what the planner and the controller know of a data plane: the split a
// Rollout wants (Desired), what the data plane's objects say now (State), and the Router
// interface each data plane (nginx, istio) implements in its own package.
package traffic

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// Desired is the split a Rollout wants now.
type Desired struct {
	// CanaryWeight is the canary's share of the total weight (TotalWeight).
	CanaryWeight int32
	// StableHash and CanaryHash are the pod-template hashes each side's pods carry, for routers
	// that split by subsets of one Service. CanaryHash is StableHash while the canary has no
	// available pods.
	StableHash, CanaryHash string
	// HeaderRoutes and MirrorRoutes are the managed routes to have. RemoveRoutes are those the
	// router has that go; RemoveAllRoutes, every managed route (none is wanted).
	HeaderRoutes    []HeaderRoute
	MirrorRoutes    []MirrorRoute
	RemoveRoutes    []string
	RemoveAllRoutes bool
}

// HeaderRoute sends every request matching all headers to the canary.
type HeaderRoute struct {
	Name  string
	Match []v1alpha1.HeaderRoutingMatch
}

// MirrorRoute copies a percentage of the requests matching any Match to the canary; the
// responses still come from the weighted split.
type MirrorRoute struct {
	Name       string
	Match      []v1alpha1.RouteMatch
	Percentage int32
}

// State is what a router's objects route now.
type State struct {
	// CanaryWeight is the lowest canary weight among the router's objects, MaxCanaryWeight the
	// highest: they differ only while an update is part-way through.
	CanaryWeight, MaxCanaryWeight int32
	// StableHash and CanaryHash are the subsets' hashes, for routers that split by subsets.
	StableHash, CanaryHash string
	// Routes names the managed routes present on every object.
	Routes []string
	// Objects names the objects the router drives ("ingress/web-web-canary"), for the timeline.
	Objects []string
	// Waiting is what the data plane reports it does not do yet (a Gateway that has not accepted
	// a route): the weights are still written, but the rollout does not advance while it is set.
	Waiting string
}

// Router drives one data plane. Every method writes only when something changes, and only the
// fields it owns.
type Router interface {
	// Type names the data plane: "nginx", "istio".
	Type() string
	// Verify reads the router's objects and reports what they route now. A referenced object
	// that is missing or does not match the Rollout is an *InvalidError.
	Verify(ctx context.Context) (State, error)
	// SetWeight routes d.CanaryWeight to the canary (and, for subset routers, points the
	// subsets at d.StableHash and d.CanaryHash).
	SetWeight(ctx context.Context, d Desired) error
	// RemoveManagedRoutes removes every header and mirror route the router added.
	RemoveManagedRoutes(ctx context.Context) error
}

// HeaderRouter is a Router that can route by request headers. A route with no match is removed.
type HeaderRouter interface {
	SetHeaderRoute(ctx context.Context, route HeaderRoute) error
}

// MirrorRouter is a Router that can mirror requests. A route with no match is removed.
type MirrorRouter interface {
	SetMirrorRoute(ctx context.Context, route MirrorRoute) error
}

// InvalidError is a problem with what the Rollout references (an object missing, a route
// that does not match) that only its author can fix. Message names the field and the fix.
type InvalidError struct{ Message string }

func (e *InvalidError) Error() string { return e.Message }

// Invalid returns an *InvalidError with a formatted message.
func Invalid(format string, args ...any) error {
	return &InvalidError{Message: fmt.Sprintf(format, args...)}
}

// IsInvalid reports whether err is (or wraps) an *InvalidError, and returns its message.
func IsInvalid(err error) (string, bool) {
	var inv *InvalidError
	if errors.As(err, &inv) {
		return inv.Message, true
	}
	return "", false
}

// RouteNames names the managed routes d wants, header routes first.
func (d Desired) RouteNames() []string {
	var names []string
	for _, h := range d.HeaderRoutes {
		names = append(names, h.Name)
	}
	for _, m := range d.MirrorRoutes {
		names = append(names, m.Name)
	}
	return names
}

// SameRoutes reports whether two lists name the same routes, in any order.
func SameRoutes(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
