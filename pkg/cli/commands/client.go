package commands

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// Scheme holds the Kubernetes and ramp types kubectl-ramp reads.
var Scheme = runtime.NewScheme()

func init() {
	utilruntime.Must(clientgoscheme.AddToScheme(Scheme))
	utilruntime.Must(v1alpha1.AddToScheme(Scheme))
}

// session is a connected client and the namespace a command works in.
type session struct {
	c  client.WithWatch
	ns string
}

func (o *Options) connect() (*session, error) {
	ns, err := o.Namespace()
	if err != nil {
		return nil, fmt.Errorf("namespace: %w", err)
	}
	c, err := o.NewClient()
	if err != nil {
		return nil, err
	}
	return &session{c: c, ns: ns}, nil
}

// rollout reads one Rollout; not found is an error saying how to find the right name.
// deployment reads a Deployment of the session's namespace; nil when it does not exist.
func (s *session) deployment(ctx context.Context, name string) (*appsv1.Deployment, error) {
	dep := &appsv1.Deployment{}
	err := s.c.Get(ctx, client.ObjectKey{Namespace: s.ns, Name: name}, dep)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("get deployment %s/%s: %w", s.ns, name, err)
	}
	return dep, nil
}

func (s *session) rollout(ctx context.Context, name string) (*v1alpha1.Rollout, error) {
	ro := &v1alpha1.Rollout{}
	err := s.c.Get(ctx, client.ObjectKey{Namespace: s.ns, Name: name}, ro)
	switch {
	case apierrors.IsNotFound(err):
		return nil, fmt.Errorf("rollout %s/%s not found; list them with `kubectl ramp list rollouts -A`", s.ns, name)
	case err != nil:
		return nil, fmt.Errorf("get rollout %s/%s: %w", s.ns, name, err)
	}
	return ro, nil
}
