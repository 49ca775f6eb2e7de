package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/egress"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

// receiver is a webhook that records what it accepted; fail decides, per request, to answer
// an error instead.
type receiver struct {
	mu       sync.Mutex
	accepted []map[string]any
	requests int
	fail     func(n int) int // status for the n-th request (from 1), 0 to accept
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	if r.fail != nil {
		if code := r.fail(r.requests); code != 0 {
			w.WriteHeader(code)
			return
		}
	}
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	m["header-id"] = req.Header.Get("X-Ramp-Delivery")
	r.accepted = append(r.accepted, m)
}

func (r *receiver) reasons() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, m := range r.accepted {
		out = append(out, fmt.Sprint(m["rollout"], ":", m["reason"]))
	}
	return out
}

// newNotifier sends to URLs held in Secrets of namespace ns, one per Rollout of urls, with
// loopback allowed, fast retries and a fake Event recorder.
func newNotifier(t *testing.T, urls map[string]string, objs ...client.Object) (*Notifier, *events.FakeRecorder) {
	t.Helper()
	for name, u := range urls {
		objs = append(objs, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name + "-hook"}, Data: map[string][]byte{"url": []byte(u)}})
	}
	policy, err := egress.ParsePolicy("127.0.0.0/8", "", "")
	if err != nil {
		t.Fatal(err)
	}
	recorder := events.NewFakeRecorder(100)
	n := New(fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(objs...).Build(), policy, recorder, logr.Discard())
	n.Backoff = []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() { _ = n.Start(ctx) }()
	return n, recorder
}

func transition(rollout, reason string) Transition {
	return Transition{Namespace: "ns", Rollout: rollout, Reason: reason, Phase: "Paused",
		Annotations: map[string]string{v1alpha1.NotificationSecretAnnotation: rollout + "-hook", v1alpha1.NotificationOnAnnotation: "RolloutPaused,RolloutCompleted,RolloutAborted"}}
}

func waitIdle(t *testing.T, n *Notifier) {
	t.Helper()
	testenv.Eventually(t, 10*time.Second, "every notification sent or given up", func(context.Context) (bool, string, error) {
		return n.Idle(), "", nil
	})
}

// A receiver that fails its first requests still gets each transition once, in order, with
// the same delivery id on every retry; transitions the target does not want are not sent.
func TestNotificationsArriveOnceInOrderThroughRetries(t *testing.T) {
	r := &receiver{fail: func(n int) int {
		if n <= 2 {
			return http.StatusServiceUnavailable
		}
		return 0
	}}
	srv := httptest.NewServer(r)
	defer srv.Close()
	n, _ := newNotifier(t, map[string]string{"web": srv.URL + "/hook"})
	for _, reason := range []string{"RolloutPaused", "StepCompleted", "RolloutPaused", "RolloutCompleted"} {
		n.Notify(transition("web", reason))
	}
	waitIdle(t, n)
	if got := strings.Join(r.reasons(), " "); got != "web:RolloutPaused web:RolloutPaused web:RolloutCompleted" {
		t.Errorf("accepted %s", got)
	}
	ids := map[any]bool{}
	for _, m := range r.accepted {
		if m["header-id"] != m["id"] || m["id"] == "" {
			t.Errorf("delivery header %v for id %v", m["header-id"], m["id"])
		}
		ids[m["id"]] = true
	}
	if len(ids) != 3 || r.requests != 5 {
		t.Errorf("%d distinct ids in %d requests: want 3 messages after 2 refused requests", len(ids), r.requests)
	}
}

// A receiver that never answers holds back only its own Rollout's messages: another
// Rollout's arrive while the first is still waiting, and Notify never blocks.
func TestABlackHoleDelaysOnlyItsOwnRollout(t *testing.T) {
	good := &receiver{}
	srv := httptest.NewServer(good)
	defer srv.Close()
	n, _ := newNotifier(t, map[string]string{"stuck": "http://" + testenv.BlackHole(t) + "/hook", "web": srv.URL})
	n.Timeout = time.Minute
	for range 50 {
		n.Notify(transition("stuck", "RolloutPaused"))
	}
	n.Notify(transition("web", "RolloutCompleted"))
	testenv.Eventually(t, 10*time.Second, "web's message while stuck's wait", func(context.Context) (bool, string, error) {
		return len(good.reasons()) == 1, fmt.Sprint(good.reasons()), nil
	})
	if n.Idle() {
		t.Error("stuck's messages are not waiting: the black hole answered?")
	}
}

// A message that cannot be sent says why on the Rollout, without the URL (a secret): an
// answer retrying cannot fix, the egress policy, a Secret without the key, a bad annotation.
func TestFailuresAreReportedWithoutTheURL(t *testing.T) {
	forbidden := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusForbidden) }))
	defer forbidden.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	n, recorder := newNotifier(t, map[string]string{
		"forbidden": forbidden.URL + "/services/T0/B0/SECRET-TOKEN",
		"metadata":  "http://169.254.169.254/services/SECRET-TOKEN",
		"down":      closedURL + "/services/SECRET-TOKEN",
	}, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "nokey-hook"}, Data: map[string][]byte{"other": []byte("x")}})
	bad := transition("badformat", "RolloutPaused")
	bad.Annotations[v1alpha1.NotificationFormatAnnotation] = "teams"
	for _, tr := range []Transition{transition("forbidden", "RolloutPaused"), transition("metadata", "RolloutPaused"),
		transition("down", "RolloutPaused"), transition("nokey", "RolloutPaused"), bad} {
		n.Notify(tr)
	}
	waitIdle(t, n)
	close(recorder.Events)
	var got []string
	for e := range recorder.Events {
		got = append(got, e)
		if strings.Contains(e, "SECRET-TOKEN") {
			t.Errorf("an event quotes the webhook's URL: %s", e)
		}
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		"answered 403 Forbidden; gave up after 1 attempt(s)",
		"the analysis egress policy refuses 169.254.169.254:80",
		"connection refused; gave up after 4 attempt(s)",
		"Secret nokey-hook has no key url",
		`annotation notifications.ramp.dev/format "teams": want json or slack`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no event says %q; events:\n%s", want, all)
		}
	}
	if len(got) != 5 || !strings.HasPrefix(got[0], "Warning NotificationFailed") {
		t.Errorf("events %v: want 5 NotificationFailed warnings", got)
	}
}

// The namespace's ConfigMap configures every Rollout of it that has no annotation of its
// own; a Rollout's "none" opts out.
func TestTheNamespaceConfigMapAndOptOut(t *testing.T) {
	r := &receiver{}
	srv := httptest.NewServer(r)
	defer srv.Close()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: v1alpha1.NotificationConfigMap},
		Data: map[string]string{"webhook-secret": "team-hook", "format": "slack"}}
	n, _ := newNotifier(t, map[string]string{"team": srv.URL}, cm)
	plain := Transition{Namespace: "ns", Rollout: "a", Reason: "RolloutAborted", Warning: true}
	optOut := Transition{Namespace: "ns", Rollout: "b", Reason: "RolloutAborted", Annotations: map[string]string{v1alpha1.NotificationSecretAnnotation: "none"}}
	n.Notify(optOut)
	n.Notify(plain)
	waitIdle(t, n)
	if len(r.accepted) != 1 || !strings.HasPrefix(fmt.Sprint(r.accepted[0]["text"]), ":red_circle: *ns/a* RolloutAborted") {
		t.Errorf("accepted %v: want a's abort alone, as a Slack message", r.accepted)
	}
}

// Beyond MaxPending, messages are dropped, not queued without end.
func TestTooManyWaitingAreDropped(t *testing.T) {
	n, _ := newNotifier(t, map[string]string{"stuck": "http://" + testenv.BlackHole(t)})
	n.MaxPending, n.Timeout = 3, time.Minute
	for range 10 {
		n.Notify(transition("stuck", "RolloutPaused"))
	}
	n.mu.Lock()
	waiting := n.total
	n.mu.Unlock()
	if waiting != 3 {
		t.Errorf("%d waiting, want MaxPending 3", waiting)
	}
}

// What a Rollout's own annotations rule out is not queued at all: no goroutine, no read of
// the API, no slot taken from other Rollouts.
func TestUnwantedTransitionsAreNotQueued(t *testing.T) {
	n, _ := newNotifier(t, map[string]string{"stuck": "http://" + testenv.BlackHole(t)})
	n.Timeout = time.Minute
	off := transition("stuck", "RolloutPaused")
	off.Annotations[v1alpha1.NotificationSecretAnnotation] = " none "
	for _, tr := range []Transition{transition("stuck", "StepCompleted"), off} {
		n.Notify(tr)
	}
	if !n.Idle() {
		t.Error("a transition the Rollout's annotations rule out was queued")
	}
	n.Notify(transition("stuck", "RolloutPaused"))
	if n.Idle() {
		t.Error("a wanted transition was not queued")
	}
}
