//go:build e2e

package e2e

import (
	"context"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// recorded is one watched object as it was at a resourceVersion.
// A deleted object is recorded at the resourceVersion of its deletion. A relist of Pods is
// recorded too, as the names that exist at its resourceVersion (obj an empty Pod): deletions
// a gap hid.
type recorded struct {
	rv      int64
	obj     client.Object
	deleted bool
	listed  map[string]bool
}

// recorder keeps every version of the Rollouts, ReplicaSets, Pods and Ingresses of a namespace that
// its watches deliver. The local cluster has one etcd, whose revision orders writes across
// resources, so the versions replayed in resourceVersion order are the cluster's history.
// Where an API server restart lost history, the recorder lists again and notes the gap.
type recorder struct {
	mu   sync.Mutex
	seen []recorded
	gaps []gap
}

// gap is a span of resourceVersions, (from, to], whose versions may be missing.
type gap struct{ from, to int64 }

// recordNamespace returns once every watch is open: each write after it is recorded.
func recordNamespace(t *testing.T, ns string) *recorder {
	t.Helper()
	wc, err := client.NewWithWatch(cluster.Config, client.Options{Scheme: cluster.Client.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	kinds := []client.ObjectList{&v1alpha1.RolloutList{}, &appsv1.ReplicaSetList{}, &corev1.PodList{}, &networkingv1.IngressList{}}
	opened := make(chan struct{}, len(kinds))
	for _, list := range kinds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.watch(ctx, t, wc, list, ns, opened)
		}()
	}
	timeout := time.After(30 * time.Second)
	for range kinds {
		select {
		case <-opened:
		case <-timeout:
			t.Fatal("the recorder's watches did not open within 30s")
		}
	}
	return r
}

// watch records every version of one kind until ctx ends. A watch the API server ends is
// opened again from the last resourceVersion seen; when that is too old (410 Gone: a
// restarted API server keeps no history), the kind is listed and watched from the list, and
// the span between is a gap.
func (r *recorder) watch(ctx context.Context, t *testing.T, wc client.WithWatch, list client.ObjectList, ns string, opened chan<- struct{}) {
	last := ""
	for ctx.Err() == nil {
		w, err := wc.Watch(ctx, list.DeepCopyObject().(client.ObjectList), client.InNamespace(ns), &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: last}})
		if err != nil {
			pause(ctx) // the API server is down
			continue
		}
		if opened != nil {
			opened <- struct{}{}
			opened = nil
		}
		for ev := range w.ResultChan() {
			if ev.Type == watch.Error {
				if ctx.Err() == nil {
					t.Logf("watch %T from %s: %v; listing again", list, last, apierrors.FromObject(ev.Object))
					last = r.relist(ctx, wc, list, ns, last)
				}
				break
			}
			if obj, ok := ev.Object.(client.Object); ok && ev.Type != watch.Bookmark {
				if r.record(obj, ev.Type == watch.Deleted) {
					last = obj.GetResourceVersion()
				}
			}
		}
		w.Stop()
	}
}

// relist lists the kind until it can, records its items, notes the gap since last and
// returns the list's resourceVersion to watch from.
func (r *recorder) relist(ctx context.Context, wc client.WithWatch, list client.ObjectList, ns, last string) string {
	for ctx.Err() == nil {
		l := list.DeepCopyObject().(client.ObjectList)
		if err := wc.List(ctx, l, client.InNamespace(ns)); err != nil {
			pause(ctx)
			continue
		}
		items, err := meta.ExtractList(l)
		if err != nil {
			return ""
		}
		listed := map[string]bool{}
		for _, item := range items {
			if obj, ok := item.(client.Object); ok {
				r.record(obj, false)
				listed[obj.GetName()] = true
			}
		}
		from, _ := strconv.ParseInt(last, 10, 64)
		to, _ := strconv.ParseInt(l.GetResourceVersion(), 10, 64)
		r.mu.Lock()
		r.gaps = append(r.gaps, gap{from: from, to: to})
		if _, pods := l.(*corev1.PodList); pods {
			r.seen = append(r.seen, recorded{rv: to, obj: &corev1.Pod{}, listed: listed})
		}
		r.mu.Unlock()
		return l.GetResourceVersion()
	}
	return ""
}

func (r *recorder) record(obj client.Object, deleted bool) bool {
	rv, err := strconv.ParseInt(obj.GetResourceVersion(), 10, 64)
	if err != nil {
		return false
	}
	r.mu.Lock()
	r.seen = append(r.seen, recorded{rv: rv, obj: obj.DeepCopyObject().(client.Object), deleted: deleted})
	r.mu.Unlock()
	return true
}

func pause(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(200 * time.Millisecond):
	}
}

// history is what was recorded, in resourceVersion order, and its gaps.
func (r *recorder) history() ([]recorded, []gap) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]recorded(nil), r.seen...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].rv < out[j].rv })
	return out, append([]gap(nil), r.gaps...)
}

// within reports whether rv falls in a gap; spans whether (a, b] overlaps one.
func within(gaps []gap, rv int64) bool {
	for _, g := range gaps {
		if rv > g.from && rv <= g.to {
			return true
		}
	}
	return false
}

func spans(gaps []gap, a, b int64) bool {
	for _, g := range gaps {
		if a < g.to && b > g.from {
			return true
		}
	}
	return false
}
