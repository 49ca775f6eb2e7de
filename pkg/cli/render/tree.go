package render

import (
	"errors"
	"io"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/cli/style"
)

// Tree is everything `kubectl ramp get rollout NAME` shows.
type Tree struct {
	Rollout *v1alpha1.Rollout
	// ReplicaSets are those the Rollout controls, in any order.
	ReplicaSets []appsv1.ReplicaSet
	// Pods are those of the ReplicaSets, matched by controller owner reference or by the
	// pod-template-hash label, in any order.
	Pods []corev1.Pod
	// Runs are the AnalysisRuns the Rollout owns, in any order.
	Runs []v1alpha1.AnalysisRun
	// Workload is the Deployment spec.workloadRef names; nil without one, or when it is missing.
	Workload *appsv1.Deployment
	Now      time.Time
}

// WriteTree writes the header, the canary steps and the tree of revisions of a Rollout.
func WriteTree(w io.Writer, t Tree, o Options) error {
	if t.Rollout == nil {
		return errors.New("render rollout tree: no rollout")
	}
	p := style.Painter{Color: o.Color}
	var b strings.Builder
	writeHeader(&b, t, p)
	if c := progressOf(t.Rollout); len(c.steps) > 0 {
		b.WriteString("\n")
		writeSteps(&b, t.Rollout, c, p)
	}
	b.WriteString("\n")
	writeNodes(&b, buildTree(t, p))
	return flush(w, &b, "rollout "+t.Rollout.Name)
}

// node is one line of the tree and the lines under it.
type node struct {
	icon, name, kind string
	status           style.Cell
	age              string
	info             style.Cell
	children         []node
}

func writeNodes(b *strings.Builder, root node) {
	tb := style.Table{Gap: 3}
	tb.Add(style.Text("NAME"), style.Text("KIND"), style.Text("STATUS"), style.Text("AGE"), style.Text("INFO"))
	tb.Add(root.cells("")...)
	addChildren(&tb, root.children, "")
	tb.WriteTo(b)
}

func addChildren(tb *style.Table, children []node, indent string) {
	for i, c := range children {
		branch, under := style.SymbolTreeItem, style.SymbolTreePipe
		if i == len(children)-1 {
			branch, under = style.SymbolTreeLast, "   "
		}
		tb.Add(c.cells(indent + branch)...)
		addChildren(tb, c.children, indent+under)
	}
}

func (n node) cells(prefix string) []style.Cell {
	return []style.Cell{style.Text(prefix + n.icon + " " + n.name), style.Text(n.kind), n.status, style.Text(n.age), n.info}
}
