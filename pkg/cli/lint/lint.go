// Package lint checks Rollouts and analysis templates offline, as the cluster would: the API
// server's own admission of a custom resource (schema, defaults, unknown fields, CEL rules)
// against ramp's embedded CRDs, then what ramp's controller checks once the object is admitted.
// It backs `kubectl ramp lint FILE...`.
package lint

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/ramp-dev/ramp/config/crd"
)

// argoGroup is Argo Rollouts' API group, and converted are its kinds `kubectl ramp convert`
// turns into ramp's (other argoproj.io kinds, such as Argo CD's, are not ramp's concern).
const argoGroup = "argoproj.io"

var converted = map[string]bool{"Rollout": true, "AnalysisTemplate": true, "ClusterAnalysisTemplate": true}

// Linter holds the parsed CRDs; build it once.
type Linter struct {
	group string
	// served holds every served version of every kind; kinds lists each kind's versions.
	served map[schema.GroupVersionKind]*admission
	kinds  map[string][]string
}

// New parses ramp's embedded CRDs and compiles their rules.
func New() (*Linter, error) {
	crds, err := crd.CRDs()
	if err != nil {
		return nil, err
	}
	l := &Linter{served: map[schema.GroupVersionKind]*admission{}, kinds: map[string][]string{}}
	for i := range crds {
		c := &crds[i]
		l.group = c.Spec.Group
		for j := range c.Spec.Versions {
			v := &c.Spec.Versions[j]
			if !v.Served {
				continue
			}
			a, err := newAdmission(c, v)
			if err != nil {
				return nil, err
			}
			l.served[a.gvk] = a
			l.kinds[a.gvk.Kind] = append(l.kinds[a.gvk.Kind], v.Name)
		}
	}
	return l, nil
}

// File lints every document of one YAML file's content; documents of other kinds are skipped
// (not ramp's), argoproj.io kinds get one Problem saying to run `kubectl ramp convert` first.
// The error is only for YAML that cannot be read, and names the file and the document.
func (l *Linter) File(name string, content []byte) ([]Problem, error) {
	deployments := deploymentsIn(content)
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(content)))
	var problems []Problem
	for doc := 1; ; doc++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return problems, nil
		}
		if err != nil {
			return problems, fmt.Errorf("%s: document %d: %w", name, doc, err)
		}
		found, err := l.document(raw, deployments)
		if err != nil {
			return problems, fmt.Errorf("%s: document %d: %w", name, doc, err)
		}
		for _, p := range found {
			p.File, p.Document = name, doc
			problems = append(problems, p)
		}
	}
}

// document lints one YAML document; its problems are not yet placed in the file.
func (l *Linter) document(raw []byte, deployments map[string]*appsv1.Deployment) ([]Problem, error) {
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return nil, err
	}
	var parsed any
	if err := utiljson.Unmarshal(js, &parsed); err != nil {
		return nil, err
	}
	if parsed == nil {
		return nil, nil // empty, or comments only
	}
	obj, ok := parsed.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not an object with apiVersion and kind, but a %T", parsed)
	}
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	p := Problem{Kind: kind, Name: nameOf(obj)}
	gv, err := schema.ParseGroupVersion(apiVersion)
	switch {
	case err != nil:
		return nil, nil // not a Kubernetes object; not ramp's
	case gv.Group == argoGroup && converted[kind]:
		p.Field, p.Message = "apiVersion", fmt.Sprintf("%s is an Argo Rollouts %s: run `kubectl ramp convert` on this file first, then lint what it writes", apiVersion, kind)
		return []Problem{p}, nil
	case gv.Group != l.group:
		return nil, nil
	}
	a, problem := l.admissionFor(gv.WithKind(kind))
	if a == nil {
		p.Field, p.Message = problem.field, problem.message
		return []Problem{p}, nil
	}
	found := l.check(a, obj, deployments)
	problems := make([]Problem, len(found))
	for i, f := range found {
		problems[i] = p
		problems[i].Field, problems[i].Message, problems[i].Warning = f.field, f.message, f.warning
	}
	return problems, nil
}

// admissionFor finds what admits a kind of ramp's group; the finding says why none does.
func (l *Linter) admissionFor(gvk schema.GroupVersionKind) (*admission, finding) {
	if a := l.served[gvk]; a != nil {
		return a, finding{}
	}
	versions, ok := l.kinds[gvk.Kind]
	if !ok {
		kinds := make([]string, 0, len(l.kinds))
		for k := range l.kinds {
			kinds = append(kinds, k)
		}
		slices.Sort(kinds)
		return nil, finding{field: "kind", message: fmt.Sprintf("%s has no kind %q: it has %s", l.group, gvk.Kind, strings.Join(kinds, ", "))}
	}
	return nil, finding{field: "apiVersion", message: fmt.Sprintf("%s is not served: use %s/%s", gvk.GroupVersion(), l.group, versions[len(versions)-1])}
}

// check admits the object as the API server would, turning it into the object as stored, and
// when it is admitted makes the controller's checks of it.
func (l *Linter) check(a *admission, obj map[string]any, deployments map[string]*appsv1.Deployment) []finding {
	unknown, errs := a.admit(context.Background(), obj)
	var found []finding
	for _, path := range unknown {
		found = append(found, finding{field: path, message: unknownFieldMessage(a.structural, a.plural, path)})
	}
	for _, err := range errs {
		f := err.Field
		if f == "<nil>" {
			f = "" // the object as a whole
		}
		found = append(found, finding{field: f, message: err.ErrorBody()})
	}
	if len(found) > 0 {
		return found
	}
	found, err := controllerChecks(a.gvk.Kind, obj, deployments)
	if err != nil {
		return []finding{{message: err.Error()}}
	}
	return found
}

// nameOf is the object's metadata.name, or its generateName.
func nameOf(obj map[string]any) string {
	meta, _ := obj["metadata"].(map[string]any)
	if name, _ := meta["name"].(string); name != "" {
		return name
	}
	name, _ := meta["generateName"].(string)
	return name
}

// deploymentsIn are the apps/v1 Deployments of a file, by name: what its Rollouts' workloadRef
// may name. Documents that cannot be read are skipped here; File reports them.
func deploymentsIn(content []byte) map[string]*appsv1.Deployment {
	out := map[string]*appsv1.Deployment{}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(content)))
	for {
		raw, err := reader.Read()
		if err != nil {
			return out
		}
		dep := &appsv1.Deployment{}
		if err := yaml.Unmarshal(raw, dep); err == nil && dep.APIVersion == "apps/v1" && dep.Kind == "Deployment" {
			out[dep.Name] = dep
		}
	}
}
