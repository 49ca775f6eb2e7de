package commands

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/cli/history"
)

func event(name, reason, note string, at time.Time, regarding string) *eventsv1.Event {
	return &eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Annotations: map[string]string{
			v1alpha1.TimelineRevisionAnnotation: "bbb", v1alpha1.TimelineStepAnnotation: "2/2",
			v1alpha1.TimelineFromPhaseAnnotation: "Progressing", v1alpha1.TimelineToPhaseAnnotation: "Paused", v1alpha1.TimelineWeightAnnotation: "20",
		}},
		EventTime: metav1.NewMicroTime(at),
		Regarding: corev1.ObjectReference{APIVersion: v1alpha1.GroupVersion.String(), Kind: "Rollout", Namespace: "shop", Name: regarding, UID: "ro-uid"},
		Reason:    reason, Note: note, Type: corev1.EventTypeNormal, Action: "Reconcile",
		ReportingController: "ramp-controller", ReportingInstance: "ramp-controller-test",
	}
}

func TestTimelineFromEvents(t *testing.T) {
	k := newCLI(t, webRollout(),
		event("web.2", v1alpha1.ReasonPaused, "paused at step 2/2 until promoted", now.Add(-time.Minute), "web"),
		event("web.1", "RevisionDetected", "new revision bbb", now.Add(-2*time.Minute), "web"),
		event("api.1", "RevisionDetected", "another rollout's", now.Add(-3*time.Minute), "api"))

	out := k.mustRun("timeline", "web")
	first, paused := strings.Index(out, "new revision bbb"), strings.Index(out, "paused at step 2/2")
	if first < 0 || paused < first || strings.Contains(out, "another rollout's") {
		t.Errorf("timeline, oldest first, of web only:\n%s", out)
	}
	if !strings.Contains(out, "Progressing → Paused") {
		t.Errorf("timeline lacks the phase change from the annotations:\n%s", out)
	}

	var entries []history.Entry
	if err := json.Unmarshal([]byte(k.mustRun("timeline", "web", "-o", "json")), &entries); err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, e := range entries {
		if e.Source == history.SourceEvent {
			reasons = append(reasons, e.Reason)
		}
	}
	if strings.Join(reasons, ",") != "RevisionDetected,"+v1alpha1.ReasonPaused {
		t.Errorf("json event entries %v", reasons)
	}
}
