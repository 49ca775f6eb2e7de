package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	"k8s.io/apimachinery/pkg/api/equality"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/cli/action"
	"github.com/ramp-dev/ramp/pkg/cli/lint"
	"github.com/ramp-dev/ramp/pkg/cli/render"
	"github.com/ramp-dev/ramp/pkg/plan"
)

// planFlags are what kubectl ramp plan changes and assumes.
type planFlags struct {
	file          string
	images        []string
	toRevision    int64
	readyAfter    time.Duration
	analysis      []string
	analysisTakes time.Duration
	ticks         bool
	output        string
	// start is when the simulated release starts: now, or a fixed time for golden tests.
	start time.Time
}

func newPlan(o *Options) *cobra.Command {
	f := planFlags{start: o.Now()}
	cmd := &cobra.Command{
		Use:   "plan [NAME]",
		Short: "Show what ramp will do to release a change, step by step, before it happens",
		Long: `plan simulates a release with ramp's own planner and prints what the controller will do: each
step's traffic weight and pods per side (under maxSurge and maxUnavailable), the pauses and the
analyses it waits on, how long the release takes at least, how many pods it needs at its peak,
and every problem of the spec. Nothing is changed in the cluster.

The Rollout is NAME in the cluster, or the one in --filename; the change is the file's spec
(with NAME), --image, or --to-revision. The simulation starts from the Rollout settled on its
current template and assumes pods become available --ready-after they are asked for, every
analysis Successful after --analysis-takes unless --analysis says otherwise, and that people
promote at each pause without a duration (counted, not timed).`,
		Example: `  kubectl ramp plan web --image web=registry.example/web:2.1
  kubectl ramp plan web -f rollout.yaml            # the file's spec against the cluster's Rollout
  kubectl ramp plan -f rollout.yaml --image web=web:2 --analysis 3=Failed -o json   # offline, in a pull request
  kubectl ramp plan web --to-revision 3`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: o.completeRollout,
		RunE: func(cmd *cobra.Command, args []string) error {
			current, next, err := o.planInputs(cmd.Context(), args, f)
			if err != nil {
				return err
			}
			a, err := f.assumptions()
			if err != nil {
				return err
			}
			p := plan.Predict(current, next, a)
			if f.file != "" {
				if p.Problems, err = o.fileProblems(f.file, p.Problems); err != nil {
					return err
				}
			}
			switch f.output {
			case "json":
				data, err := json.MarshalIndent(p, "", "  ")
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(o.Streams.Out, "%s\n", data)
				if err == nil && len(p.Problems) > 0 {
					return &ExitError{Code: 1}
				}
				return err
			case "":
			default:
				return fmt.Errorf("-o %s: use json, or no -o for the text view", f.output)
			}
			fmt.Fprint(o.Streams.Out, render.Prediction(next, p, a, f.ticks))
			if len(p.Problems) > 0 {
				return &ExitError{Code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&f.file, "filename", "f", "", "a file holding the Rollout (- for standard input): with NAME, its spec is the change; without, the Rollout to change")
	cmd.Flags().StringArrayVar(&f.images, "image", nil, "CONTAINER=IMAGE to set, as kubectl ramp set image (repeatable; CONTAINER may be *)")
	cmd.Flags().Int64Var(&f.toRevision, "to-revision", 0, "release an earlier revision's template, as kubectl ramp undo --to-revision (needs NAME)")
	cmd.Flags().DurationVar(&f.readyAfter, "ready-after", 10*time.Second, "how long a new pod takes to become available")
	cmd.Flags().StringArrayVar(&f.analysis, "analysis", nil, "KIND=PHASE: an analysis's assumed outcome (KIND a step number, background, prepromotion or postpromotion; PHASE Successful, Failed, Error or Inconclusive)")
	cmd.Flags().DurationVar(&f.analysisTakes, "analysis-takes", 0, "how long an analysis takes to end (--ready-after when 0)")
	cmd.Flags().BoolVar(&f.ticks, "ticks", false, "also print every reconcile of the simulation")
	cmd.Flags().StringVarP(&f.output, "output", "o", "", "json: the prediction as data")
	return cmd
}

// planInputs are the Rollout as it runs now and as the change makes it.
func (o *Options) planInputs(ctx context.Context, args []string, f planFlags) (current, next *v1alpha1.Rollout, err error) {
	var fromFile *v1alpha1.Rollout
	deployments := map[string]*appsv1.Deployment{}
	if f.file != "" {
		data, err := o.read(f.file)
		if err != nil {
			return nil, nil, err
		}
		if fromFile, deployments, err = rolloutIn(data); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", f.file, err)
		}
	}
	var s *session
	if len(args) == 1 {
		if s, err = o.connect(); err != nil {
			return nil, nil, err
		}
	}
	// A workloadRef Rollout is simulated with its Deployment's template inline: from the file,
	// else from the cluster.
	inline := func(ro *v1alpha1.Rollout) (*v1alpha1.Rollout, error) {
		ref := ro.Spec.WorkloadRef
		if ref == nil {
			return ro, nil
		}
		dep := deployments[ref.Name]
		if dep == nil && s != nil {
			if dep, err = s.deployment(ctx, ref.Name); err != nil {
				return nil, err
			}
		}
		resolved, msg := plan.ResolveWorkload(ro, dep)
		if msg != "" {
			return nil, fmt.Errorf("%s: put the Deployment in the file too, or name the Rollout of the cluster", msg)
		}
		resolved.Spec.WorkloadRef = nil
		return resolved, nil
	}
	if fromFile != nil {
		if fromFile, err = inline(fromFile); err != nil {
			return nil, nil, err
		}
	}
	switch {
	case len(args) == 1:
		if current, err = s.rollout(ctx, args[0]); err != nil {
			return nil, nil, err
		}
		if current, err = inline(current); err != nil {
			return nil, nil, err
		}
		next = current.DeepCopy()
		if fromFile != nil {
			next.Spec = *fromFile.Spec.DeepCopy()
		}
	case fromFile != nil:
		current, next = fromFile, fromFile.DeepCopy()
	default:
		return nil, nil, errors.New("name a Rollout of the cluster, or give one with -f FILE")
	}
	if len(f.images) > 0 {
		if next, err = changed(next, func(ro *v1alpha1.Rollout) (action.Change, error) { return action.SetImage(ro, f.images) }); err != nil {
			return nil, nil, err
		}
	}
	if f.toRevision != 0 {
		if s == nil {
			return nil, nil, errors.New("--to-revision reads the Rollout's ReplicaSets: name a Rollout of the cluster")
		}
		owned, err := s.replicaSets(ctx, current)
		if err != nil {
			return nil, nil, err
		}
		if next, err = changed(next, func(ro *v1alpha1.Rollout) (action.Change, error) { return action.Undo(ro, owned, f.toRevision) }); err != nil {
			return nil, nil, err
		}
	}
	if equality.Semantic.DeepEqual(current.Spec.Template, next.Spec.Template) {
		return nil, nil, errors.New("the change leaves the pod template as it is, so nothing is released: give --image, --to-revision, or a file with another template")
	}
	return current, next, nil
}

// changed is ro with a verb's change applied locally, as the API server would apply it.
func changed(ro *v1alpha1.Rollout, verb func(*v1alpha1.Rollout) (action.Change, error)) (*v1alpha1.Rollout, error) {
	local := ro.DeepCopy()
	if local.ResourceVersion == "" {
		local.ResourceVersion = "0" // the change tests it
	}
	c, err := verb(local)
	if err != nil {
		return nil, err
	}
	doc, err := json.Marshal(local)
	if err != nil {
		return nil, err
	}
	patch, err := jsonpatch.DecodePatch(c.Patch)
	if err != nil {
		return nil, fmt.Errorf("the change: %w", err)
	}
	if doc, err = patch.Apply(doc); err != nil {
		return nil, fmt.Errorf("apply the change: %w", err)
	}
	out := &v1alpha1.Rollout{}
	if err := json.Unmarshal(doc, out); err != nil {
		return nil, err
	}
	out.ResourceVersion = ro.ResourceVersion
	return out, nil
}

// rolloutIn is the first Rollout of a YAML or JSON stream.
func rolloutIn(data []byte) (*v1alpha1.Rollout, map[string]*appsv1.Deployment, error) {
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var ro *v1alpha1.Rollout
	deployments := map[string]*appsv1.Deployment{}
	for {
		var doc map[string]any
		if err := d.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, nil, err
		}
		raw, err := json.Marshal(doc)
		if err != nil {
			return nil, nil, err
		}
		switch {
		case doc["kind"] == "Deployment" && doc["apiVersion"] == "apps/v1":
			dep := &appsv1.Deployment{}
			if err := yaml.Unmarshal(raw, dep); err != nil {
				return nil, nil, fmt.Errorf("Deployment %v: %w", doc["metadata"], err)
			}
			deployments[dep.Name] = dep
		case ro == nil && doc["kind"] == "Rollout" && strings.HasPrefix(fmt.Sprint(doc["apiVersion"]), v1alpha1.GroupVersion.Group+"/"):
			ro = &v1alpha1.Rollout{}
			if err := yaml.UnmarshalStrict(raw, ro); err != nil {
				return nil, nil, fmt.Errorf("Rollout %v: %w", doc["metadata"], err)
			}
		}
	}
	if ro == nil {
		return nil, nil, errors.New("no Rollout (rollouts.ramp.dev/v1alpha1) in it")
	}
	return ro, deployments, nil
}

func (f planFlags) assumptions() (plan.Assumptions, error) {
	a := plan.Assumptions{ReadyAfter: f.readyAfter, AnalysisTakes: f.analysisTakes, Analysis: map[string]v1alpha1.AnalysisPhase{}, Start: f.start}
	for _, kv := range f.analysis {
		kind, phase, ok := strings.Cut(kv, "=")
		p := v1alpha1.AnalysisPhase(phase)
		if !ok || !p.Completed() {
			return a, fmt.Errorf("--analysis %q: give KIND=PHASE, PHASE one of Successful, Failed, Error, Inconclusive", kv)
		}
		a.Analysis[analysisKind(kind)] = p
	}
	return a, nil
}

// analysisKind turns a 1-based step number, as kubectl ramp shows steps, into the run kind (the
// 0-based index); other kinds stay.
func analysisKind(k string) string {
	var n int
	if _, err := fmt.Sscanf(k, "%d", &n); err == nil && fmt.Sprint(n) == k && n > 0 {
		return fmt.Sprint(n - 1)
	}
	return k
}

// fileProblems are every problem lint finds in the file (the CRD's schema and CEL rules, then
// the controller's checks), followed by the simulation's own that lint did not already say.
func (o *Options) fileProblems(file string, simulated []string) ([]string, error) {
	l, err := lint.New()
	if err != nil {
		return nil, err
	}
	data, err := o.read(file)
	if err != nil {
		return nil, err
	}
	found, err := l.File(file, data)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range found {
		if !p.Warning {
			out = append(out, p.String())
		}
	}
	for _, s := range simulated {
		if !slices.ContainsFunc(out, func(l string) bool { return strings.Contains(l, s) }) {
			out = append(out, s)
		}
	}
	return out, nil
}
