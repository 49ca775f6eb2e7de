//go:build integration

package controllers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

// freezeReplicaSetCreation makes the API server refuse every ReplicaSet creation in ns, the
// way a cluster's admission policy or a webhook would; the returned func lifts it.
func freezeReplicaSetCreation(t *testing.T, ns, message string) (lift func()) {
	t.Helper()
	ctx := context.Background()
	policy := &admissionv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "freeze-" + ns},
		Spec: admissionv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr.To(admissionv1.Fail),
			MatchConstraints: &admissionv1.MatchResources{ResourceRules: []admissionv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionv1.RuleWithOperations{
					Operations: []admissionv1.OperationType{admissionv1.Create},
					Rule:       admissionv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"v1"}, Resources: []string{"replicasets"}},
				},
			}}},
			Validations: []admissionv1.Validation{{Expression: "false", Message: message}},
		},
	}
	binding := &admissionv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "freeze-" + ns},
		Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        policy.Name,
			ValidationActions: []admissionv1.ValidationAction{admissionv1.Deny},
			MatchResources: &admissionv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns},
			}},
		},
	}
	if err := env.Client.Create(ctx, policy); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Create(ctx, binding); err != nil {
		t.Fatal(err)
	}
	probe := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "probe"},
		Spec: appsv1.ReplicaSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"probe": "1"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"probe": "1"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "c"}}},
			},
		},
	}
	testenv.Eventually(t, timeout, "the API server to enforce the policy", func(ctx context.Context) (bool, string, error) {
		err := env.Client.Create(ctx, probe.DeepCopy(), client.DryRunAll)
		return err != nil && strings.Contains(err.Error(), message), fmt.Sprint(err), nil
	})
	lift = func() {
		_ = env.Client.Delete(ctx, binding)
		_ = env.Client.Delete(ctx, policy)
	}
	t.Cleanup(lift)
	return lift
}

// A write the API server keeps refusing reaches the Rollout's status, with the error and the
// last good state; the first pass that succeeds afterwards clears it.
func TestRepeatedReconcileFailureIsInTheRolloutStatus(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	playReplicaSetController(t, ns)
	ro := rollout(ns, 2, v1alpha1.CanaryStep{SetWeight: ptr.To[int32](50)}, v1alpha1.CanaryStep{Pause: &v1alpha1.RolloutPause{}})
	if err := env.Client.Create(ctx, ro); err != nil {
		t.Fatal(err)
	}
	stable := waitPhase(t, ro, v1alpha1.RolloutPhaseHealthy)

	const frozen = "replicasets are frozen in this namespace"
	lift := freezeReplicaSetCreation(t, ns, frozen)
	stable.Spec.Template.Spec.Containers[0].Image = "web:2"
	if err := env.Client.Update(ctx, stable); err != nil {
		t.Fatal(err)
	}
	var failing *v1alpha1.Rollout
	testenv.Eventually(t, timeout, "a ReconcileError condition naming the refusal", func(ctx context.Context) (bool, string, error) {
		failing = get(t, ro)
		c := meta.FindStatusCondition(failing.Status.Conditions, v1alpha1.ConditionReconcileError)
		if c == nil {
			return false, "no condition", nil
		}
		return c.Status == metav1.ConditionTrue && strings.Contains(c.Message, frozen), fmt.Sprintf("%s: %s", c.Status, c.Message), nil
	})
	if failing.Status.Phase != v1alpha1.RolloutPhaseHealthy || failing.Status.StableRS != stable.Status.StableRS || failing.Status.AvailableReplicas != 2 {
		t.Errorf("the failure did not keep the last good state: %+v", failing.Status)
	}
	if !slices.Contains(eventReasons(t, ro), v1alpha1.ReasonReconcileFailed) {
		t.Errorf("no %s event: %v", v1alpha1.ReasonReconcileFailed, eventReasons(t, ro))
	}

	lift()
	got := waitPhase(t, ro, v1alpha1.RolloutPhasePaused)
	testenv.Eventually(t, timeout, "the condition cleared", func(ctx context.Context) (bool, string, error) {
		got = get(t, ro)
		c := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionReconcileError)
		return c == nil, fmt.Sprintf("%+v", c), nil
	})
	if !slices.Contains(eventReasons(t, ro), v1alpha1.ReasonReconcileRecovered) {
		t.Errorf("no %s event: %v", v1alpha1.ReasonReconcileRecovered, eventReasons(t, ro))
	}
}

// A status write the API server keeps refusing reaches the AnalysisRun's status as a
// ReconcileError condition, as a Rollout's does; once the writes go through again the run
// measures on and the condition goes.
func TestRepeatedReconcileFailureIsInTheAnalysisRunStatus(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"ok": true}`) }))
	defer srv.Close()
	ns := namespace(t)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "api"}, StringData: map[string]string{"token": "t"}})

	const frozen = "measurements are frozen in this namespace"
	policy := &admissionv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "freeze-runs-" + ns},
		Spec: admissionv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr.To(admissionv1.Fail),
			MatchConstraints: &admissionv1.MatchResources{ResourceRules: []admissionv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionv1.RuleWithOperations{
					Operations: []admissionv1.OperationType{admissionv1.Update},
					Rule:       admissionv1.Rule{APIGroups: []string{v1alpha1.GroupVersion.Group}, APIVersions: []string{"*"}, Resources: []string{"analysisruns/status"}},
				},
			}}},
			Validations: []admissionv1.Validation{{Message: frozen, // no new measurement; conditions may change
				Expression: "!has(object.status.metricResults) || (has(oldObject.status) && has(oldObject.status.metricResults) && object.status.metricResults == oldObject.status.metricResults)"}},
		},
	}
	binding := &admissionv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: policy.Name},
		Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName: policy.Name, ValidationActions: []admissionv1.ValidationAction{admissionv1.Deny},
			MatchResources: &admissionv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns}}},
		},
	}
	create(t, policy)
	create(t, binding)
	lift := func() {
		_ = env.Client.Delete(ctx, binding)
		_ = env.Client.Delete(ctx, policy)
	}
	t.Cleanup(lift)

	create(t, webRun(ns, "frozen", srv.URL, func(m *v1alpha1.Metric) { m.Count = ptr.To(intstr.FromInt32(3)) }))
	run := waitRun(t, ns, "frozen", "a ReconcileError condition naming the refusal", func(r *v1alpha1.AnalysisRun) bool {
		c := meta.FindStatusCondition(r.Status.Conditions, v1alpha1.ConditionReconcileError)
		return c != nil && c.Status == metav1.ConditionTrue && strings.Contains(c.Message, frozen)
	})
	if run.Status.Phase != v1alpha1.AnalysisPhaseRunning {
		t.Errorf("the failure did not keep the last written state: %+v", run.Status)
	}

	lift()
	waitRun(t, ns, "frozen", "Successful, the condition gone", func(r *v1alpha1.AnalysisRun) bool {
		return r.Status.Phase == v1alpha1.AnalysisPhaseSuccessful && meta.FindStatusCondition(r.Status.Conditions, v1alpha1.ConditionReconcileError) == nil
	})
}
