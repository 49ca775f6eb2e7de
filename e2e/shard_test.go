//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// Two controllers, each with its own shard (--watches-label-selector) and leader election, on one
// cluster: each drives only the Rollouts, and measures only the AnalysisRuns, of its shard; a
// Rollout in no shard is driven by neither.
func TestShardsDriveOnlyTheirOwnRollouts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"ok": true}`) }))
	defer srv.Close()
	shards := map[string]string{}
	for _, shard := range []string{"a", "b", ""} {
		ns := cluster.Namespace(t)
		shards[shard] = ns
		applyOKTemplate(t, ns, srv.URL, 2)
		applyRollout(t, ns, 2, "web:1", "setWeight: 50", "analysis: {templates: [{templateName: ok}]}", "pause: {}")
		if shard != "" {
			patchRollout(t, ns, types.MergePatchType, `{"metadata":{"labels":{"shard":"`+shard+`"}}}`)
		}
	}
	ctrlA := cluster.StartController(t, controllerBin, "--watches-label-selector=shard=a", "--leader-elect", "--leader-election-namespace=ramp-system")
	ctrlB := cluster.StartController(t, controllerBin, "--watches-label-selector=shard=b", "--leader-elect", "--leader-election-namespace=ramp-system")
	for _, shard := range []string{"a", "b"} {
		ns := shards[shard]
		waitRollout(t, ns, "shard "+shard+": first revision Healthy", healthyAt(ns, "web:1"))
		setImage(t, ns, "web:2")
		waitRollout(t, ns, "shard "+shard+": paused after its analysis", atStep(2, v1alpha1.RolloutPhasePaused))
		runs := &v1alpha1.AnalysisRunList{}
		if err := cluster.Client.List(context.Background(), runs, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		if len(runs.Items) != 1 || runs.Items[0].Labels["shard"] != shard || runs.Items[0].Status.Phase != v1alpha1.AnalysisPhaseSuccessful {
			t.Errorf("shard %s: runs %v: want one Successful run labelled shard=%s", shard, runNames(runs), shard)
		}
	}
	for name, c := range map[string]struct{ logs, own, other string }{
		"a": {ctrlA.Logs(), shards["a"], shards["b"]},
		"b": {ctrlB.Logs(), shards["b"], shards["a"]},
	} {
		if !strings.Contains(c.logs, `"rollout":"`+c.own+`/web"`) {
			t.Errorf("shard %s's controller logged nothing of its own Rollout %s/web", name, c.own)
		}
		for _, foreign := range []string{c.other, shards[""]} {
			if strings.Contains(c.logs, foreign+"/web") {
				t.Errorf("shard %s's controller acted on %s/web, which is not in its shard", name, foreign)
			}
		}
	}
	if ro := getRollout(t, shards[""]); ro.Status.Phase != "" {
		t.Errorf("a Rollout in no shard was driven: %s %q", ro.Status.Phase, ro.Status.Message)
	}
}

// applyOKTemplate applies the AnalysisTemplate "ok": count measurements, a second apart, of
// a web endpoint that answers {"ok": true}.
func applyOKTemplate(t *testing.T, ns, url string, count int) {
	t.Helper()
	cluster.Apply(t, ns, []byte(fmt.Sprintf(`
apiVersion: rollouts.ramp.dev/v1alpha1
kind: AnalysisTemplate
metadata: {name: ok}
spec:
  metrics:
  - name: ok
    count: %d
    interval: 1s
    successCondition: result.ok == true
    provider: {web: {url: %q}}
`, count, url)))
}

func runNames(runs *v1alpha1.AnalysisRunList) []string {
	var out []string
	for _, r := range runs.Items {
		out = append(out, fmt.Sprintf("%s(shard=%s,%s)", r.Name, r.Labels["shard"], r.Status.Phase))
	}
	return out
}
