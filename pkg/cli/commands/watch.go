package commands

import (
	"context"
	"fmt"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// source is one kind of object to watch, and which of its events matter.
type source struct {
	list client.ObjectList
	opts []client.ListOption
	keep func(watch.Event) bool // nil keeps every event
}

// watch reports every change of the Rollout and of the ReplicaSets, pods and AnalysisRuns
// that may belong to it.
func (s *session) watch(ctx context.Context, name string) (<-chan struct{}, error) {
	ro, err := s.rollout(ctx, name)
	if err != nil {
		return nil, err
	}
	sel := client.MatchingLabelsSelector{Selector: s.selector(ro)}
	ns := client.InNamespace(s.ns)
	return s.watchAll(ctx, []source{
		{&v1alpha1.RolloutList{}, []client.ListOption{ns}, named(name)},
		{&appsv1.ReplicaSetList{}, []client.ListOption{ns, sel}, nil},
		{&corev1.PodList{}, []client.ListOption{ns, sel}, nil},
		{&v1alpha1.AnalysisRunList{}, []client.ListOption{ns}, nil},
	})
}

// watchRollout reports the changes of one Rollout.
func (s *session) watchRollout(ctx context.Context, name string) (<-chan struct{}, error) {
	return s.watchAll(ctx, []source{{&v1alpha1.RolloutList{}, []client.ListOption{client.InNamespace(s.ns)}, named(name)}})
}

// watchAll reports the changes of every source through a channel that coalesces changes not
// yet read. Watches the API server ends are started again. The channel closes when ctx ends.
func (s *session) watchAll(ctx context.Context, sources []source) (<-chan struct{}, error) {
	changes := make(chan struct{}, 1)
	signal := func() {
		select {
		case changes <- struct{}{}:
		default:
		}
	}
	watches := make([]watch.Interface, len(sources))
	for i, src := range sources {
		var err error
		if watches[i], err = s.c.Watch(ctx, src.list, src.opts...); err != nil {
			for _, w := range watches[:i] {
				w.Stop()
			}
			return nil, fmt.Errorf("watch %T in %s: %w", src.list, s.ns, err)
		}
	}
	var running sync.WaitGroup
	for i, src := range sources {
		running.Go(func() { s.follow(ctx, watches[i], src, signal) })
	}
	go func() {
		running.Wait()
		close(changes)
	}()
	return changes, nil
}

// follow signals each event of w that keep accepts, and watches again when the server ends w.
func (s *session) follow(ctx context.Context, w watch.Interface, src source, signal func()) {
	for {
		for ev := range w.ResultChan() {
			if src.keep == nil || src.keep(ev) {
				signal()
			}
		}
		w.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second): // a failed watch is retried, not spun on
			}
			var err error
			if w, err = s.c.Watch(ctx, src.list, src.opts...); err == nil {
				signal() // changes while no watch ran are caught by the redraw's fresh read
				break
			}
		}
	}
}

// named keeps the events of one object by name (and errors, which end the watch anyway).
func named(name string) func(watch.Event) bool {
	return func(ev watch.Event) bool {
		obj, ok := ev.Object.(client.Object)
		return !ok || obj.GetName() == name
	}
}

// events lists the namespace's events (events.k8s.io/v1); the timeline keeps the Rollout's.
func (s *session) events(ctx context.Context) ([]eventsv1.Event, error) {
	var list eventsv1.EventList
	if err := s.c.List(ctx, &list, client.InNamespace(s.ns)); err != nil {
		return nil, fmt.Errorf("list events in %s: %w", s.ns, err)
	}
	return list.Items, nil
}
