package plan

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

func TestRepeatedFailuresReachTheStatusOnce(t *testing.T) {
	w := newWorld(t, 4, weight(25), pause())
	w.settle()
	w.setImage("web:2")
	w.settle()
	before := *w.ro.Status.DeepCopy()
	refused := errors.New(`patch ingress shop/web-canary: admission webhook "validate.nginx.ingress.kubernetes.io" denied the request`)

	for n := 1; n < v1alpha1.ReconcileFailureThreshold; n++ {
		if _, ok := ReconcileFailed(w.ro, n, refused, w.now); ok {
			t.Fatalf("failure %d of %d already reported", n, v1alpha1.ReconcileFailureThreshold)
		}
	}
	p, ok := ReconcileFailed(w.ro, v1alpha1.ReconcileFailureThreshold, refused, w.now)
	if !ok {
		t.Fatal("the threshold's failure is not reported")
	}
	c := meta.FindStatusCondition(p.Status.Conditions, v1alpha1.ConditionReconcileError)
	if c == nil || c.Status != metav1.ConditionTrue || c.Message != refused.Error() || c.Reason != v1alpha1.ReasonReconcileFailed {
		t.Fatalf("condition %+v, want True with the error", c)
	}
	if len(p.Notes) != 1 || !p.Notes[0].Warning || p.Notes[0].Reason != v1alpha1.ReasonReconcileFailed || !strings.Contains(p.Notes[0].Message, refused.Error()) {
		t.Errorf("notes %+v, want one warning naming the error", p.Notes)
	}
	kept := *p.Status.DeepCopy()
	meta.RemoveStatusCondition(&kept.Conditions, v1alpha1.ConditionReconcileError)
	if kept.Phase != before.Phase || *kept.CurrentStepIndex != *before.CurrentStepIndex || kept.Canary.Weights.Canary.Weight != before.Canary.Weights.Canary.Weight || len(kept.Conditions) != len(before.Conditions) {
		t.Errorf("the failure changed the last good state:\n%+v\nwant\n%+v", kept, before)
	}
	if len(p.Scale)+len(p.Selectors)+len(p.StartRuns) != 0 || p.Traffic != nil || p.Create != nil {
		t.Errorf("a failure's plan writes more than status: %+v", p)
	}

	w.ro.Status = p.Status
	if _, ok := ReconcileFailed(w.ro, v1alpha1.ReconcileFailureThreshold+5, refused, w.now); ok {
		t.Error("the same error is written again")
	}
	other := errors.New("create replicaset shop/web-5d8f: forbidden")
	if p, ok := ReconcileFailed(w.ro, v1alpha1.ReconcileFailureThreshold+6, other, w.now); !ok || meta.FindStatusCondition(p.Status.Conditions, v1alpha1.ConditionReconcileError).Message != other.Error() {
		t.Error("a different error does not replace the message")
	}

	next := w.reconcile()
	if meta.FindStatusCondition(next.Status.Conditions, v1alpha1.ConditionReconcileError) != nil {
		t.Error("a plan keeps the ReconcileError condition: the first pass that succeeds must clear it")
	}
	if !slices.Contains(w.reasons(), v1alpha1.ReasonReconcileRecovered) {
		t.Errorf("timeline %v has no %s", w.reasons(), v1alpha1.ReasonReconcileRecovered)
	}
}

func TestReconcileErrorMessageIsBounded(t *testing.T) {
	w := newWorld(t, 1)
	w.settle()
	p, ok := ReconcileFailed(w.ro, v1alpha1.ReconcileFailureThreshold, errors.New(strings.Repeat("denied\n", 1000)), w.now)
	msg := meta.FindStatusCondition(p.Status.Conditions, v1alpha1.ConditionReconcileError).Message
	if !ok || len(msg) > v1alpha1.MaxReconcileErrorBytes || strings.Contains(msg, "\n") {
		t.Errorf("message of %d bytes (newline: %v), want at most %d on one line", len(msg), strings.Contains(msg, "\n"), v1alpha1.MaxReconcileErrorBytes)
	}
}
