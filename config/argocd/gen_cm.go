//go:build ignore

// gen_cm writes argocd-cm.yaml, the patch of Argo CD's ConfigMap that installs
// rollout-health.lua: go generate ./config/argocd.
package main

import (
	"log"
	"os"

	"sigs.k8s.io/yaml"
)

func main() {
	script, err := os.ReadFile("rollout-health.lua")
	if err != nil {
		log.Fatal(err)
	}
	cm := map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata": map[string]any{
			"name":      "argocd-cm",
			"namespace": "argocd",
			"labels":    map[string]any{"app.kubernetes.io/part-of": "argocd"},
		},
		"data": map[string]any{"resource.customizations.health.rollouts.ramp.dev_Rollout": string(script)},
	}
	data, err := yaml.Marshal(cm)
	if err != nil {
		log.Fatal(err)
	}
	header := "# Argo CD's health check for ramp Rollouts. Generated from rollout-health.lua by\n" +
		"# go generate ./config/argocd. Apply it as a patch:\n" +
		"#   kubectl -n argocd patch configmap argocd-cm --type merge --patch-file config/argocd/argocd-cm.yaml\n"
	if err := os.WriteFile("argocd-cm.yaml", append([]byte(header), data...), 0o644); err != nil {
		log.Fatal(err)
	}
}
