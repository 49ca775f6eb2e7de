//go:build integration

package controllers_test

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// A namespace user's web metric aimed at the API server (on loopback, which this suite's
// policy allows) or at cloud metadata gets an Error measurement naming the egress policy:
// ramp's network position is not theirs to borrow.
func TestAnalysisEgressPolicyRefusesAPIServerAndMetadata(t *testing.T) {
	ns := namespace(t)
	for name, url := range map[string]string{
		"apiserver": env.Config.Host + "/api/v1/namespaces/kube-system/secrets",
		"metadata":  "http://169.254.169.254/latest/meta-data/",
	} {
		run := webRun(ns, name, url, func(m *v1alpha1.Metric) {
			m.Provider.Web.Headers = nil
			m.ConsecutiveErrorLimit = ptr.To(intstr.FromInt32(0))
		})
		run.Spec.Args = nil
		create(t, run)
	}
	for name, says := range map[string]string{"apiserver": "Kubernetes API server", "metadata": "link-local"} {
		run := waitRun(t, ns, name, "Error", func(r *v1alpha1.AnalysisRun) bool { return r.Status.Phase == v1alpha1.AnalysisPhaseError })
		got, err := asJSON(run.Status)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(got, "egress policy refuses") || !strings.Contains(got, says) {
			t.Errorf("run %s status %s: want the egress policy's refusal saying %q", name, got, says)
		}
	}
}
