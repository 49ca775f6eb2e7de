// Package notify sends a Rollout's timeline transitions to webhooks (generic JSON or
// Slack-compatible), off the reconcile path, in order per Rollout, with retries.
package notify

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// Format is how a transition is written: FormatJSON or FormatSlack.
type Format string

const (
	FormatJSON  Format = "json"
	FormatSlack Format = "slack"
)

// Target is where a Rollout's transitions go: the URL in a Secret's key, in a format, for
// some reasons. From says where it was configured, for messages.
type Target struct {
	SecretName, SecretKey string
	Format                Format
	On                    []string
	From                  string
}

// Wants reports whether the target takes transitions of the reason.
func (t Target) Wants(reason string) bool { return slices.Contains(t.On, reason) }

// TargetFor is the Rollout's target: from its annotations when it names a Secret (or "none"),
// else from its namespace's ConfigMap data (nil when there is none). ok is false when neither
// configures notifications, or the Rollout turns them off. A value that cannot work is an
// error naming where it is and the fix.
func TargetFor(annotations, configMap map[string]string) (t Target, ok bool, err error) {
	const prefix = "notifications.ramp.dev/"
	get := func(key string) string { return strings.TrimSpace(annotations[prefix+key]) }
	where := func(key string) string { return "annotation " + prefix + key }
	if UsesNamespaceConfig(annotations) {
		get = func(key string) string { return strings.TrimSpace(configMap[key]) }
		where = func(key string) string { return "ConfigMap " + v1alpha1.NotificationConfigMap + " key " + key }
	}
	secret := get("webhook-secret")
	if secret == "" || secret == v1alpha1.NotificationsOff {
		return Target{}, false, nil
	}
	t = Target{SecretName: secret, SecretKey: "url", Format: FormatJSON, On: v1alpha1.NotificationDefaultReasons, From: where("webhook-secret")}
	if name, key, found := strings.Cut(secret, "/"); found {
		t.SecretName, t.SecretKey = name, key
	}
	if t.SecretName == "" || t.SecretKey == "" || strings.Contains(t.SecretKey, "/") {
		return Target{}, false, fmt.Errorf("%s %q: want a Secret's name, or name/key (the key defaults to url)", where("webhook-secret"), secret)
	}
	switch f := Format(get("format")); f {
	case "":
	case FormatJSON, FormatSlack:
		t.Format = f
	default:
		return Target{}, false, fmt.Errorf("%s %q: want json or slack", where("format"), f)
	}
	if on := get("on"); on != "" {
		t.On = nil
		for _, r := range strings.Split(on, ",") {
			r = strings.TrimSpace(r)
			if !slices.Contains(v1alpha1.NotificationReasons, r) {
				return Target{}, false, fmt.Errorf("%s: %q is not a transition reason; want some of %s", where("on"), r, strings.Join(v1alpha1.NotificationReasons, ", "))
			}
			t.On = append(t.On, r)
		}
	}
	return t, true, nil
}

// UsesNamespaceConfig reports whether a Rollout leaves its notifications to its namespace's
// ConfigMap: its annotations name no Secret (nor "none").
func UsesNamespaceConfig(annotations map[string]string) bool {
	return strings.TrimSpace(annotations[v1alpha1.NotificationSecretAnnotation]) == ""
}
