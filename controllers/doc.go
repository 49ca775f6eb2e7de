// Package controllers holds ramp's reconcilers: each reads state from the cache, asks a pure
// planner in pkg/ what to do, applies that plan and writes status. It is the only package that
// writes to the cluster.
//
// The RBAC markers below are what the manager itself needs whatever reconcilers run: leader
// election (Leases and their Events in the controller's namespace) and the authentication and
// authorization of scrapes of the secure metrics endpoint. Each reconciler carries its own.
//
// +kubebuilder:rbac:groups=coordination.k8s.io,namespace=ramp-system,resources=leases,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",namespace=ramp-system,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=authentication.k8s.io,resources=tokenreviews,verbs=create
// +kubebuilder:rbac:groups=authorization.k8s.io,resources=subjectaccessreviews,verbs=create
package controllers
