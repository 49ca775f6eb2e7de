package analysis

import (
	"encoding/json"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// SecretArgs are the run's args that come from Secrets, by name.
func SecretArgs(args []v1alpha1.Argument) map[string]v1alpha1.SecretKeyRef {
	out := map[string]v1alpha1.SecretKeyRef{}
	for _, a := range args {
		if a.ValueFrom != nil && a.ValueFrom.SecretKeyRef != nil {
			out[a.Name] = *a.ValueFrom.SecretKeyRef
		}
	}
	return out
}

// JobSecretsByReference keeps Secret values out of a job metric's Job: an env var whose value
// is exactly a Secret-backed {{args.name}} becomes a secretKeyRef to that Secret (the Job runs
// in the run's namespace, where the Secret is), so the value is never written into the Job's
// spec, where anyone who can read Jobs would see it. A Secret-backed placeholder anywhere else
// in the Job is an error that says how to pass it. Other metrics are returned unchanged.
func JobSecretsByReference(metric v1alpha1.Metric, secretArgs map[string]v1alpha1.SecretKeyRef) (v1alpha1.Metric, error) {
	if metric.Provider.Job == nil || len(secretArgs) == 0 {
		return metric, nil
	}
	out := *metric.DeepCopy()
	pod := &out.Provider.Job.Spec.Template.Spec
	for _, containers := range [][]corev1.Container{pod.InitContainers, pod.Containers} {
		for i := range containers {
			for j := range containers[i].Env {
				env := &containers[i].Env[j]
				value := strings.TrimSpace(env.Value)
				m := placeholder.FindStringSubmatch(value)
				if m == nil || m[0] != value {
					continue
				}
				if ref, ok := secretArgs[m[1]]; ok {
					env.Value = ""
					env.ValueFrom = &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
						LocalObjectReference: corev1.LocalObjectReference{Name: ref.Name}, Key: ref.Key,
					}}
				}
			}
		}
	}
	raw, err := json.Marshal(out.Provider.Job)
	if err != nil {
		return metric, fmt.Errorf("metric %s: job: %w", metric.Name, err)
	}
	for _, m := range placeholder.FindAllStringSubmatch(string(raw), -1) {
		if ref, ok := secretArgs[m[1]]; ok {
			return metric, fmt.Errorf("metric %s: arg %s comes from Secret %s and would be written into the Job in plain text: "+
				"pass it as an env var whose value is exactly {{args.%s}} (ramp makes it a secretKeyRef to %s/%s), and use $(VAR) in command or args",
				metric.Name, m[1], ref.Name, m[1], ref.Name, ref.Key)
		}
	}
	return out, nil
}
