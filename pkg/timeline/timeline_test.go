package timeline

import (
	"strings"
	"testing"

	"github.com/go-logr/logr/funcr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/plan"
)

// What a tenant's endpoint answered reaches Events and logs only as a short excerpt on one line.
func TestTimelineKeepsProviderAnswersShort(t *testing.T) {
	var logged []string
	log := funcr.New(func(prefix, args string) { logged = append(logged, args) }, funcr.Options{})
	rec := events.NewFakeRecorder(10)
	r := Recorder{Log: log, Events: rec}
	answer := "status 500: " + strings.Repeat("<html>\nforged log line\r\n", 1000)
	ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}}
	run := &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-1",
		OwnerReferences: []metav1.OwnerReference{{Kind: "Rollout", Name: "web", Controller: ptrTrue()}}}}
	r.Record(ro, v1alpha1.RolloutPhaseProgressing, []plan.Note{{Reason: "AnalysisRunError", Message: answer}})
	r.RecordRun(run, []plan.Note{{Reason: "MetricError", Message: answer}})
	close(rec.Events)
	n := 0
	for e := range rec.Events {
		n++
		if len(e) > MaxMessageBytes+100 || strings.ContainsAny(e, "\r\n") {
			t.Errorf("event of %d bytes (newlines: %v): want a one-line excerpt of at most %d bytes", len(e), strings.ContainsAny(e, "\r\n"), MaxMessageBytes)
		}
	}
	if n == 0 {
		t.Fatal("no event recorded")
	}
	if len(logged) != 2 {
		t.Fatalf("logged %d lines, want 2", len(logged))
	}
	for _, l := range logged {
		if len(l) > MaxMessageBytes+400 || strings.Count(l, "forged log line") > MaxMessageBytes/20 || strings.ContainsAny(l, "\r\n") {
			t.Errorf("log line of %d bytes: want the message cut to %d bytes on one line", len(l), MaxMessageBytes)
		}
	}
}

func ptrTrue() *bool { b := true; return &b }
