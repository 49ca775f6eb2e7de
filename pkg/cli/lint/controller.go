package lint

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/analysis"
	"github.com/ramp-dev/ramp/pkg/plan"
)

// finding is a problem before it is placed in a file.
type finding struct {
	field, message string
	warning        bool
}

// controllerChecks are what ramp's controller rejects in an object the API server admitted
// (a workloadRef Rollout with its Deployment's template, when that is in the file):
// plan.Validate for a Rollout (the Rollout goes Degraded), analysis.ValidateTemplate for a
// template (each of its runs would end in Error), with warnings for what a template allows
// but most likely does not mean. obj is the admitted object, defaults
// applied.
func controllerChecks(kind string, obj map[string]any, deployments map[string]*appsv1.Deployment) ([]finding, error) {
	switch kind {
	case "Rollout":
		ro := &v1alpha1.Rollout{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, ro); err != nil {
			return nil, fmt.Errorf("read as a Rollout: %w", err)
		}
		if ref := ro.Spec.WorkloadRef; ref != nil {
			dep := deployments[ref.Name]
			if dep == nil {
				return []finding{{field: "spec.workloadRef", warning: true, message: fmt.Sprintf("Deployment %s is not in this file: "+
					"the template and selector it gives are checked when the controller reads it", ref.Name)}}, nil
			}
			ro, _ = plan.ResolveWorkload(ro, dep)
		}
		if msg := plan.Validate(ro); msg != "" {
			return []finding{{field: planField(msg), message: msg}}, nil
		}
	case "AnalysisTemplate", "ClusterAnalysisTemplate":
		// Both kinds have the same spec: read the spec alone.
		tmpl := &v1alpha1.AnalysisTemplate{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, tmpl); err != nil {
			return nil, fmt.Errorf("read as an %s: %w", kind, err)
		}
		var found []finding
		for _, err := range analysis.ValidateTemplate(tmpl.Spec, field.NewPath("spec")) {
			found = append(found, finding{field: err.Field, message: err.Detail})
		}
		for _, err := range analysis.WarnTemplate(tmpl.Spec, field.NewPath("spec")) {
			found = append(found, finding{field: err.Field, message: err.Detail, warning: true})
		}
		return found, nil
	}
	return nil, nil
}

// planField is the field a plan.Validate message starts with: "spec.selector is empty: ..."
// is about spec.selector.
func planField(msg string) string {
	f, _, _ := strings.Cut(msg, " ")
	f = strings.TrimSuffix(f, ":")
	if !strings.HasPrefix(f, "spec.") {
		return "spec"
	}
	return f
}
