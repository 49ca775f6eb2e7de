//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/testenv"
)

// tenantClient acts as a user who may only create and read AnalysisRuns and Rollouts in ns,
// and get the one Secret named readable.
func tenantClient(t *testing.T, ns, readable string) client.Client {
	t.Helper()
	grantTenant(t, ns, "analysis-author",
		rbacv1.PolicyRule{APIGroups: []string{v1alpha1.GroupVersion.Group}, Resources: []string{"analysisruns", "rollouts"}, Verbs: []string{"create", "get", "list", "watch"}},
		rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{readable}, Verbs: []string{"get"}})
	cfg := rest.CopyConfig(cluster.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "tenant", Groups: []string{"system:authenticated"}}
	c, err := client.New(cfg, client.Options{Scheme: cluster.Client.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// grantTenant gives the user "tenant" the rules in ns, through a Role and RoleBinding named name.
func grantTenant(t *testing.T, ns, name string, rules ...rbacv1.PolicyRule) {
	t.Helper()
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Rules: rules}
	binding := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "tenant"}}}
	for _, o := range []client.Object{role, binding} {
		if err := cluster.Client.Create(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
}

// A user who may only create AnalysisRuns cannot make ramp run a Job or read a Secret for
// them: the admission policy refuses the run, naming the right they lack; what they may do
// themselves they may do through ramp.
func TestTenantCannotBorrowRampsRights(t *testing.T) {
	ns := cluster.Namespace(t)
	ctx := context.Background()
	for _, name := range []string{"db-password", "shared-token"} {
		secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, StringData: map[string]string{"value": "s3cr3t-" + name}}
		if err := cluster.Client.Create(ctx, secret); err != nil {
			t.Fatal(err)
		}
	}
	tenant := tenantClient(t, ns, "shared-token")

	// The user's own rights, as the policy's checks see them.
	for _, probe := range []client.Object{
		&batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "direct"}, Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "direct"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}},
	} {
		if err := tenant.Create(ctx, probe); !apierrors.IsForbidden(err) {
			t.Fatalf("the tenant creating a %T directly: %v, want Forbidden (the test's premise)", probe, err)
		}
	}
	if err := tenant.Get(ctx, client.ObjectKey{Namespace: ns, Name: "db-password"}, &corev1.Secret{}); !apierrors.IsForbidden(err) {
		t.Fatalf("the tenant reading db-password directly: %v, want Forbidden", err)
	}

	web := v1alpha1.MetricProvider{Web: &v1alpha1.WebMetric{URL: "http://metrics.invalid/ok",
		Headers: []v1alpha1.WebMetricHeader{{Key: "Authorization", Value: "Bearer {{args.token}}"}}}}
	secretArg := func(secret string) []v1alpha1.Argument {
		return []v1alpha1.Argument{{Name: "token", ValueFrom: &v1alpha1.ValueFrom{SecretKeyRef: &v1alpha1.SecretKeyRef{Name: secret, Key: "value"}}}}
	}
	job := v1alpha1.MetricProvider{Job: &v1alpha1.JobMetric{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{Name: "c", Image: "busybox", Command: []string{"true"}}}}}}}}
	cases := []struct {
		name     string
		provider v1alpha1.MetricProvider
		args     []v1alpha1.Argument
		refusal  string // "" when the run is accepted
	}{
		{"job", job, nil, "may not create Jobs"},
		{"unreadable-secret", web, secretArg("db-password"), "read Secret db-password"},
		{"readable-secret", web, secretArg("shared-token"), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run := &v1alpha1.AnalysisRun{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: c.name},
				Spec: v1alpha1.AnalysisRunSpec{Args: c.args, Metrics: []v1alpha1.Metric{{Name: "m", Provider: c.provider}}}}
			err := tenant.Create(ctx, run)
			switch {
			case c.refusal == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.refusal != "" && err == nil:
				t.Fatalf("accepted: ramp would do for the tenant what they may not (%s)", c.refusal)
			case c.refusal != "" && (!apierrors.IsForbidden(err) && !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), c.refusal)):
				t.Fatalf("refusal %v: want one saying %q", err, c.refusal)
			}
		})
	}
	// A notification's webhook URL is read from the Secret a Rollout's annotation names.
	for secret, refusal := range map[string]string{"db-password": "webhook URL from Secret db-password", "shared-token": ""} {
		ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "notify-" + secret,
			Annotations: map[string]string{v1alpha1.NotificationSecretAnnotation: secret}},
			Spec: v1alpha1.RolloutSpec{
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "x"}},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}},
				Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{}},
			}}
		err := tenant.Create(ctx, ro)
		switch {
		case refusal == "" && err != nil:
			t.Errorf("a Rollout notifying through readable Secret %s: %v", secret, err)
		case refusal != "" && (!apierrors.IsForbidden(err) && !apierrors.IsInvalid(err) || !strings.Contains(fmt.Sprint(err), refusal)):
			t.Errorf("a Rollout notifying through unreadable Secret %s: %v, want a refusal saying %q", secret, err, refusal)
		}
	}
	jobs := &batchv1.JobList{}
	if err := cluster.Client.List(ctx, jobs, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if len(jobs.Items) != 0 {
		t.Errorf("%d Jobs exist in the tenant's namespace", len(jobs.Items))
	}
}

// A user who may create Rollouts but not read another team's Deployment in their namespace
// cannot have ramp run its pods; one who may read it but not change it cannot have ramp scale
// it down. Each refusal names the right.
func TestTenantCannotReleaseOrScaleADeploymentTheyCannotTouch(t *testing.T) {
	ns := cluster.Namespace(t)
	ctx := context.Background()
	cluster.Apply(t, ns, []byte(gitDeploymentNamed("payments", "nginx:1.27")))
	tenant := tenantClient(t, ns, "none")
	rollout := func(name, scaleDown string) *v1alpha1.Rollout {
		return &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: v1alpha1.RolloutSpec{
			WorkloadRef: &v1alpha1.WorkloadRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "payments", ScaleDown: scaleDown},
			Strategy:    v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{}},
		}}
	}
	refused := func(ro *v1alpha1.Rollout, want string) {
		t.Helper()
		err := tenant.Create(ctx, ro)
		if err == nil || !apierrors.IsForbidden(err) && !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), want) {
			t.Errorf("Rollout %s (scaleDown %q): %v, want a refusal saying %q", ro.Name, ro.Spec.WorkloadRef.ScaleDown, err, want)
		}
	}
	refused(rollout("read", ""), "may not get it")

	grantTenant(t, ns, "deployment-reader", rbacv1.PolicyRule{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get"}})
	testenv.Eventually(t, time.Minute, "the tenant may read the Deployment", func(ctx context.Context) (bool, string, error) {
		err := tenant.Get(ctx, client.ObjectKey{Namespace: ns, Name: "payments"}, &appsv1.Deployment{})
		return err == nil, fmt.Sprint(err), nil
	})
	refused(rollout("scale", v1alpha1.ScaleDownOnSuccess), "may not patch it")
	if err := tenant.Create(ctx, rollout("beside", v1alpha1.ScaleDownNever)); err != nil {
		t.Errorf("a Rollout beside a Deployment the tenant may read: %v", err)
	}
	if dep, err := deploymentOf(ctx, ns, "payments"); err != nil || ptr.Deref(dep.Spec.Replicas, 1) != 4 {
		t.Errorf("the Deployment: %v, %d replicas; want it untouched at 4", err, ptr.Deref(dep.Spec.Replicas, 1))
	}
}
