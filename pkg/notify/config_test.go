package notify

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

func TestTargetFor(t *testing.T) {
	ns := map[string]string{"webhook-secret": "team-hook", "format": "slack", "on": "RolloutAborted"}
	cases := map[string]struct {
		annotations, configMap map[string]string
		want                   Target
		ok                     bool
		err                    string
	}{
		"nothing configured": {nil, nil, Target{}, false, ""},
		"the namespace's": {nil, ns, Target{SecretName: "team-hook", SecretKey: "url", Format: FormatSlack, On: []string{"RolloutAborted"},
			From: "ConfigMap ramp-notifications key webhook-secret"}, true, ""},
		"the Rollout's wins, with defaults": {map[string]string{v1alpha1.NotificationSecretAnnotation: "own/hook"}, ns,
			Target{SecretName: "own", SecretKey: "hook", Format: FormatJSON, On: v1alpha1.NotificationDefaultReasons,
				From: "annotation notifications.ramp.dev/webhook-secret"}, true, ""},
		"the Rollout opts out":                    {map[string]string{v1alpha1.NotificationSecretAnnotation: "none"}, ns, Target{}, false, ""},
		"a format without a Secret is not enough": {map[string]string{v1alpha1.NotificationFormatAnnotation: "slack"}, nil, Target{}, false, ""},
		"bad format": {map[string]string{v1alpha1.NotificationSecretAnnotation: "s", v1alpha1.NotificationFormatAnnotation: "teams"}, nil,
			Target{}, false, `annotation notifications.ramp.dev/format "teams": want json or slack`},
		"bad reason": {nil, map[string]string{"webhook-secret": "s", "on": "RolloutPaused, RolloutPause"},
			Target{}, false, `ConfigMap ramp-notifications key on: "RolloutPause" is not a transition reason; want some of RevisionDetected`},
		"bad secret reference": {map[string]string{v1alpha1.NotificationSecretAnnotation: "a/b/c"}, nil,
			Target{}, false, `annotation notifications.ramp.dev/webhook-secret "a/b/c": want a Secret's name, or name/key`},
	}
	for name, c := range cases {
		got, ok, err := TargetFor(c.annotations, c.configMap)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want one saying %q", name, err, c.err)
			}
			continue
		}
		if err != nil || ok != c.ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %+v %v %v, want %+v %v", name, got, ok, err, c.want, c.ok)
		}
	}
}
