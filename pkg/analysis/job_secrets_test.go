package analysis

import (
	"encoding/json"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

func jobMetric(c corev1.Container) v1alpha1.Metric {
	return v1alpha1.Metric{Name: "smoke", Provider: v1alpha1.MetricProvider{Job: &v1alpha1.JobMetric{Spec: batchv1.JobSpec{
		Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{c}}},
	}}}}
}

func TestJobSecretsAreReferencedNeverInlined(t *testing.T) {
	secrets := SecretArgs([]v1alpha1.Argument{
		{Name: "token", ValueFrom: &v1alpha1.ValueFrom{SecretKeyRef: &v1alpha1.SecretKeyRef{Name: "api", Key: "token"}}},
		{Name: "host", Value: ptrTo("web.shop")},
	})
	m, err := JobSecretsByReference(jobMetric(corev1.Container{Name: "c", Image: "curl",
		Command: []string{"sh", "-c", "curl -H \"Authorization: Bearer $(TOKEN)\" http://{{args.host}}/"},
		Env:     []corev1.EnvVar{{Name: "TOKEN", Value: "{{ args.token }}"}, {Name: "HOST", Value: "{{args.host}}"}},
	}), secrets)
	if err != nil {
		t.Fatal(err)
	}
	env := m.Provider.Job.Spec.Template.Spec.Containers[0].Env
	if ref := env[0].ValueFrom; env[0].Value != "" || ref == nil || ref.SecretKeyRef == nil || ref.SecretKeyRef.Name != "api" || ref.SecretKeyRef.Key != "token" {
		t.Errorf("TOKEN = %+v: want a secretKeyRef to api/token", env[0])
	}
	if env[1].Value != "{{args.host}}" || env[1].ValueFrom != nil {
		t.Errorf("HOST = %+v: an arg that is not a Secret stays a placeholder", env[1])
	}
	// Substituted with the Secret's value known, the Job still never holds it.
	resolved, err := Substitute(m, map[string]string{"token": "s3cr3t-value", "host": "web.shop"})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(resolved.Provider.Job)
	if strings.Contains(string(raw), "s3cr3t-value") {
		t.Errorf("the Secret's value is in the Job: %s", raw)
	}

	for name, c := range map[string]corev1.Container{
		"in a command":              {Name: "c", Image: "curl", Command: []string{"curl", "-H", "Authorization: Bearer {{args.token}}"}},
		"inside a longer env value": {Name: "c", Image: "curl", Env: []corev1.EnvVar{{Name: "AUTH", Value: "Bearer {{args.token}}"}}},
	} {
		_, err := JobSecretsByReference(jobMetric(c), secrets)
		if err == nil || !strings.Contains(err.Error(), "arg token comes from Secret api") || !strings.Contains(err.Error(), "exactly {{args.token}}") {
			t.Errorf("a Secret-backed arg %s: %v; want an error saying how to pass it", name, err)
		}
	}
}
