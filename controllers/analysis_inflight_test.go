package controllers

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/analysis"
)

func inflightRun(ns, name string) *v1alpha1.AnalysisRun {
	return &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(ns + "/" + name)}}
}

func TestInflightBoundsANamespaceAndForgets(t *testing.T) {
	f := newInflight()
	hang := func(ctx context.Context) analysis.Result {
		<-ctx.Done()
		return analysis.Result{Err: ctx.Err()}
	}
	for i := range maxInflightPerNS {
		run := inflightRun("noisy", fmt.Sprintf("r-%d", i))
		if !f.start(run, "m", time.Now(), hang) {
			t.Fatalf("call %d refused below the namespace's limit", i)
		}
	}
	if f.start(inflightRun("noisy", "one-more"), "m", time.Now(), hang) {
		t.Fatal("a call past the namespace's limit was started")
	}
	quiet := inflightRun("quiet", "r")
	if !f.start(quiet, "m", time.Now(), func(context.Context) analysis.Result { return analysis.Result{Text: "1"} }) {
		t.Fatal("another namespace's call was refused")
	}
	<-f.wake // the quiet call ended and woke its run
	c, ended, _ := f.take(quiet, "m")
	if !ended || c.res.Text != "1" {
		t.Fatalf("take: ended %v, result %+v", ended, c.res)
	}
	if _, ended, running := f.take(quiet, "m"); ended || running {
		t.Fatal("a taken call is still held")
	}
	for i := range maxInflightPerNS {
		f.forget(types.NamespacedName{Namespace: "noisy", Name: fmt.Sprintf("r-%d", i)})
	}
	for range maxInflightPerNS {
		<-f.wake // each forgotten call was cancelled, ended, and woke its run
	}
	if n := f.size(); n != 0 {
		t.Errorf("%d calls held after every run was forgotten", n)
	}
	if len(f.perNS) != 0 {
		t.Errorf("per-namespace counts %v left behind", f.perNS)
	}
}

// A call made for an earlier run of the same name is not the new run's measurement.
func TestInflightDropsACallOfAnEarlierRun(t *testing.T) {
	f := newInflight()
	old := inflightRun("shop", "web-1")
	f.start(old, "m", time.Now(), func(context.Context) analysis.Result { return analysis.Result{Text: "old"} })
	<-f.wake
	recreated := old.DeepCopy()
	recreated.UID = "new"
	if _, ended, running := f.take(recreated, "m"); ended || running {
		t.Fatal("the new run took the old run's measurement")
	}
	if f.size() != 0 {
		t.Error("the old run's call is still held")
	}
}
