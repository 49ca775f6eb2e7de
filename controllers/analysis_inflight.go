package controllers

import (
	"context"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/analysis"
)

// Limits of the measurements in flight: a provider call never holds a worker, and one
// namespace's calls to endpoints that never answer cannot take every slot from the others.
const (
	maxInflight            = 256
	maxInflightPerNS       = 16
	inflightDeadline       = 2 * v1alpha1.MaxProviderTimeoutSeconds * time.Second
	inflightWakeBufferSize = 1024
)

// inflight runs provider calls off the reconcile workers. A reconcile starts the call for a
// due metric and returns; when the call ends, the run is enqueued again (wake) and that
// reconcile judges and records the result. Nothing here needs to survive a crash: a call
// lost with the process is simply made again.
type inflight struct {
	mu    sync.Mutex
	calls map[callKey]*call
	perNS map[string]int
	wake  chan event.GenericEvent
}

type callKey struct {
	run    types.NamespacedName
	metric string
}

type call struct {
	uid     types.UID
	began   time.Time // the measurement's start, on the reconciler's clock
	elapsed time.Duration
	done    bool
	res     analysis.Result
	cancel  context.CancelFunc
	wakeObj *v1alpha1.AnalysisRun
}

func newInflight() *inflight {
	return &inflight{calls: map[callKey]*call{}, perNS: map[string]int{}, wake: make(chan event.GenericEvent, inflightWakeBufferSize)}
}

// start calls measure in the background for run's metric, unless one is in flight already or
// the limits are reached; it says whether a call is now in flight.
func (f *inflight) start(run *v1alpha1.AnalysisRun, metric string, began time.Time, measure func(context.Context) analysis.Result) bool {
	key := callKey{run: types.NamespacedName{Namespace: run.Namespace, Name: run.Name}, metric: metric}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.calls[key]; ok {
		return true
	}
	if len(f.calls) >= maxInflight || f.perNS[run.Namespace] >= maxInflightPerNS {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), inflightDeadline)
	c := &call{uid: run.UID, began: began, cancel: cancel,
		wakeObj: &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Namespace: run.Namespace, Name: run.Name}}}
	f.calls[key] = c
	f.perNS[run.Namespace]++
	go func() {
		t0 := time.Now()
		res := measure(ctx)
		cancel()
		f.mu.Lock()
		c.res, c.done, c.elapsed = res, true, time.Since(t0)
		f.mu.Unlock()
		f.wake <- event.GenericEvent{Object: c.wakeObj}
	}()
	return true
}

// take returns the ended call of run's metric and forgets it; ok is false while none has
// ended (running says whether one is in flight). A call made for an earlier run of the same
// name is dropped.
func (f *inflight) take(run *v1alpha1.AnalysisRun, metric string) (c call, ok, running bool) {
	key := callKey{run: types.NamespacedName{Namespace: run.Namespace, Name: run.Name}, metric: metric}
	f.mu.Lock()
	defer f.mu.Unlock()
	got, found := f.calls[key]
	if !found {
		return call{}, false, false
	}
	if got.uid != run.UID {
		f.removeLocked(key, got)
		return call{}, false, false
	}
	if !got.done {
		return call{}, false, true
	}
	f.removeLocked(key, got)
	return *got, true, false
}

// forget cancels and drops every call of a run that ended or is gone.
func (f *inflight) forget(run types.NamespacedName) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for key, c := range f.calls {
		if key.run == run {
			f.removeLocked(key, c)
		}
	}
}

func (f *inflight) removeLocked(key callKey, c *call) {
	c.cancel()
	delete(f.calls, key)
	if f.perNS[key.run.Namespace]--; f.perNS[key.run.Namespace] <= 0 {
		delete(f.perNS, key.run.Namespace)
	}
}

// size is how many calls are held (tests).
func (f *inflight) size() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}
