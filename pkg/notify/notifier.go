package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/uuid"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/egress"
	"github.com/ramp-dev/ramp/pkg/metrics"
)

// ReasonFailed is the reason of the Warning Event and log line of a notification that could
// not be sent.
const ReasonFailed = "NotificationFailed"

// Notifier sends transitions to their Rollout's webhook. Notify never blocks: transitions
// wait in memory (MaxPending at most, beyond which they are dropped and counted), one sender
// per Rollout delivers them in order, each retried with Backoff on a network error, a 408, a
// 429 or a 5xx. A receiver that is down delays only its own Rollout's later messages.
type Notifier struct {
	Reader      client.Reader // the ConfigMaps and Secrets, read when a message is sent
	HTTP        *http.Client
	Events      events.EventRecorder
	Log         logr.Logger
	Backoff     []time.Duration // waits between attempts: len(Backoff)+1 attempts in all
	Timeout     time.Duration   // per attempt
	MaxPending  int
	Concurrency int // requests in flight at once

	mu      sync.Mutex
	ctx     context.Context
	pending map[types.NamespacedName][]Transition
	total   int
	slots   chan struct{}
}

// New is a Notifier whose requests go through the egress policy, with production settings:
// 6 attempts over about a minute, 10 s each, 10000 waiting, 32 in flight.
func New(reader client.Reader, policy *egress.Policy, recorder events.EventRecorder, log logr.Logger) *Notifier {
	return &Notifier{
		Reader:      reader,
		HTTP:        &http.Client{Transport: policy.Transport(false), CheckRedirect: noRedirects},
		Events:      recorder,
		Log:         log,
		Backoff:     []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second},
		Timeout:     10 * time.Second,
		MaxPending:  10000,
		Concurrency: 32,
	}
}

// A webhook that redirects is misconfigured: its URL is a secret, and a redirect would send
// the message where the operator has not looked.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Start keeps ctx for the deliveries and waits until it ends (a manager Runnable).
func (n *Notifier) Start(ctx context.Context) error {
	n.mu.Lock()
	n.ctx = ctx
	n.mu.Unlock()
	<-ctx.Done()
	return nil
}

func (n *Notifier) context() context.Context {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ctx == nil {
		return context.Background()
	}
	return n.ctx
}

// Notify queues a transition for its Rollout's webhook, if it may have one. A Rollout whose
// own annotations turn notifications off, or do not want this reason, queues nothing (an
// annotation that cannot work is queued, for deliver to report).
func (n *Notifier) Notify(t Transition) {
	if !UsesNamespaceConfig(t.Annotations) {
		if target, ok, err := TargetFor(t.Annotations, nil); err == nil && (!ok || !target.Wants(t.Reason)) {
			return
		}
	}
	if t.ID == "" {
		t.ID = uuid.NewString()
	}
	key := types.NamespacedName{Namespace: t.Namespace, Name: t.Rollout}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.pending == nil {
		n.pending = map[types.NamespacedName][]Transition{}
		n.slots = make(chan struct{}, max(1, n.Concurrency))
	}
	if n.total >= n.MaxPending {
		metrics.Notifications.WithLabelValues("dropped").Inc()
		n.Log.Info("notification dropped: too many waiting", "rollout", key.String(), "reason", t.Reason, "waiting", n.total)
		return
	}
	queue := n.pending[key]
	n.pending[key] = append(queue, t)
	n.total++
	if len(queue) == 0 {
		go n.drain(key)
	}
}

// Idle reports whether no notification waits or is being sent.
func (n *Notifier) Idle() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.total == 0
}

// drain sends a Rollout's transitions, oldest first, until none is left.
func (n *Notifier) drain(key types.NamespacedName) {
	for {
		n.mu.Lock()
		queue := n.pending[key]
		if len(queue) == 0 {
			delete(n.pending, key)
			n.mu.Unlock()
			return
		}
		t := queue[0]
		n.mu.Unlock()

		n.deliver(n.context(), t)

		n.mu.Lock()
		n.pending[key] = n.pending[key][1:]
		n.total--
		n.mu.Unlock()
	}
}

func (n *Notifier) deliver(ctx context.Context, t Transition) {
	target, ok, err := n.target(ctx, t)
	if err != nil {
		n.failed(t, err.Error())
		return
	}
	if !ok || !target.Wants(t.Reason) {
		return
	}
	where, err := n.url(ctx, t.Namespace, target)
	if err != nil {
		n.failed(t, err.Error())
		return
	}
	body, err := Body(target.Format, t)
	if err != nil {
		n.failed(t, err.Error())
		return
	}
	for attempt := 0; ; attempt++ {
		err := n.post(ctx, where, t.ID, body)
		if err == nil {
			metrics.Notifications.WithLabelValues("sent").Inc()
			n.Log.V(1).Info("notification sent", "rollout", t.Namespace+"/"+t.Rollout, "reason", t.Reason, "id", t.ID, "attempts", attempt+1)
			return
		}
		var permanent *permanentError
		if errors.As(err, &permanent) || attempt >= len(n.Backoff) {
			n.failed(t, fmt.Sprintf("webhook of %s (Secret %s, key %s): %v; gave up after %d attempt(s)", target.From, target.SecretName, target.SecretKey, err, attempt+1))
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(n.Backoff[attempt]):
		}
	}
}

// target reads the namespace's ConfigMap when the Rollout's annotations do not configure it.
func (n *Notifier) target(ctx context.Context, t Transition) (Target, bool, error) {
	var data map[string]string
	if UsesNamespaceConfig(t.Annotations) {
		cm := &corev1.ConfigMap{}
		err := n.Reader.Get(ctx, types.NamespacedName{Namespace: t.Namespace, Name: v1alpha1.NotificationConfigMap}, cm)
		switch {
		case apierrors.IsNotFound(err):
			return Target{}, false, nil
		case err != nil:
			return Target{}, false, fmt.Errorf("read ConfigMap %s: %w", v1alpha1.NotificationConfigMap, err)
		}
		data = cm.Data
	}
	return TargetFor(t.Annotations, data)
}

// url reads the webhook's URL from its Secret. The URL is a secret (Slack's carry their
// token): no message quotes it.
func (n *Notifier) url(ctx context.Context, namespace string, target Target) (string, error) {
	secret := &corev1.Secret{}
	if err := n.Reader.Get(ctx, types.NamespacedName{Namespace: namespace, Name: target.SecretName}, secret); err != nil {
		return "", fmt.Errorf("%s: read Secret %s: %w", target.From, target.SecretName, err)
	}
	value, ok := secret.Data[target.SecretKey]
	if !ok {
		return "", fmt.Errorf("%s: Secret %s has no key %s: add it, or name the key as %s/<key>", target.From, target.SecretName, target.SecretKey, target.SecretName)
	}
	u, err := url.Parse(strings.TrimSpace(string(value)))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("%s: Secret %s key %s does not hold an http(s) URL", target.From, target.SecretName, target.SecretKey)
	}
	return u.String(), nil
}

// permanentError is a failure a retry cannot fix: a 4xx answer, or the egress policy.
type permanentError struct{ msg string }

func (e *permanentError) Error() string { return e.msg }

func (n *Notifier) post(ctx context.Context, where, id string, body []byte) error {
	n.slots <- struct{}{}
	defer func() { <-n.slots }()
	ctx, cancel := context.WithTimeout(ctx, n.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, where, bytes.NewReader(body))
	if err != nil {
		return &permanentError{"the URL cannot be requested"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ramp-controller")
	req.Header.Set("X-Ramp-Delivery", id)
	resp, err := n.HTTP.Do(req)
	if err != nil {
		if refused := egress.Unwrap(err); refused != nil {
			return &permanentError{refused.Error()}
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL
		}
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return fmt.Errorf("the webhook answered %s", resp.Status)
	default:
		return &permanentError{"the webhook answered " + resp.Status}
	}
}

// failed counts, logs and reports on the Rollout a notification that was not sent.
func (n *Notifier) failed(t Transition, msg string) {
	metrics.Notifications.WithLabelValues("failed").Inc()
	n.Log.Info("notification failed", "rollout", t.Namespace+"/"+t.Rollout, "reason", ReasonFailed, "transition", t.Reason, "id", t.ID, "message", msg)
	if n.Events != nil {
		ref := &corev1.ObjectReference{APIVersion: v1alpha1.GroupVersion.String(), Kind: "Rollout", Namespace: t.Namespace, Name: t.Rollout, UID: types.UID(t.UID)}
		n.Events.Eventf(ref, nil, corev1.EventTypeWarning, ReasonFailed, "Notify", "%s notification not sent: %s", t.Reason, msg)
	}
}
