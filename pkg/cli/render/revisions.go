package render

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/cli/style"
	"github.com/ramp-dev/ramp/pkg/workload"
)

// buildTree arranges the Rollout's objects by revision, newest first: each revision's
// ReplicaSets with their pods, then its AnalysisRuns. Runs of no known revision hang off the
// Rollout itself.
func buildTree(t Tree, p style.Painter) node {
	ro := t.Rollout
	root := node{
		icon: iconRollout, name: ro.Name, kind: "Rollout",
		status: phaseCell(p, ro.Status.Phase), age: style.Since(ro.CreationTimestamp.Time, t.Now),
	}
	rss := newestFirst(t.ReplicaSets)
	podsByRS := assignPods(rss, t.Pods)
	runsByHash, looseRuns := assignRuns(rss, t.Runs)

	var revision *node
	lastRevision := int64(-1)
	for i := range rss {
		rs := &rss[i]
		if n := workload.Revision(rs); revision == nil || n != lastRevision {
			root.children = append(root.children, node{icon: iconRevision, name: revisionName(n)})
			revision, lastRevision = &root.children[len(root.children)-1], n
		}
		revision.children = append(revision.children, replicaSetNode(ro, rs, podsByRS[i], t.Now, p))
		for _, run := range runsByHash[workload.HashOf(rs)] {
			revision.children = append(revision.children, analysisRunNode(run, t.Now, p))
		}
	}
	for _, run := range looseRuns {
		root.children = append(root.children, analysisRunNode(run, t.Now, p))
	}
	return root
}

func revisionName(n int64) string {
	if n <= 0 {
		return "revision:?"
	}
	return fmt.Sprintf("revision:%d", n)
}

// newestFirst sorts a copy of the ReplicaSets by revision, newest first, then by name.
func newestFirst(rss []appsv1.ReplicaSet) []appsv1.ReplicaSet {
	out := slices.Clone(rss)
	slices.SortStableFunc(out, func(a, b appsv1.ReplicaSet) int {
		return cmp.Or(cmp.Compare(workload.Revision(&b), workload.Revision(&a)), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// assignPods gives each pod to the ReplicaSet that controls it, or failing that to the one
// whose pod-template hash it carries; pods of neither are left out. Pods come sorted by name.
func assignPods(rss []appsv1.ReplicaSet, pods []corev1.Pod) [][]corev1.Pod {
	out := make([][]corev1.Pod, len(rss))
	for _, pod := range pods {
		i := slices.IndexFunc(rss, func(rs appsv1.ReplicaSet) bool {
			owner := metav1.GetControllerOf(&pod)
			return owner != nil && rs.UID != "" && owner.UID == rs.UID
		})
		if i < 0 {
			i = slices.IndexFunc(rss, func(rs appsv1.ReplicaSet) bool {
				h := workload.HashOf(&rs)
				return h != "" && pod.Labels[v1alpha1.PodTemplateHashLabel] == h
			})
		}
		if i >= 0 {
			out[i] = append(out[i], pod)
		}
	}
	for _, ps := range out {
		slices.SortFunc(ps, func(a, b corev1.Pod) int { return cmp.Compare(a.Name, b.Name) })
	}
	return out
}

// assignRuns groups the runs by the pod-template hash of the revision they analyse: the
// controller labels each run with it; a run without the label is matched by the hash in its
// name. Runs of no listed ReplicaSet are returned apart. All come oldest first.
func assignRuns(rss []appsv1.ReplicaSet, runs []v1alpha1.AnalysisRun) (map[string][]v1alpha1.AnalysisRun, []v1alpha1.AnalysisRun) {
	var hashes []string
	for i := range rss {
		if h := workload.HashOf(&rss[i]); h != "" {
			hashes = append(hashes, h)
		}
	}
	sorted := slices.Clone(runs)
	slices.SortStableFunc(sorted, func(a, b v1alpha1.AnalysisRun) int {
		return cmp.Or(a.CreationTimestamp.Time.Compare(b.CreationTimestamp.Time), cmp.Compare(a.Name, b.Name))
	})
	byHash := map[string][]v1alpha1.AnalysisRun{}
	var loose []v1alpha1.AnalysisRun
	for _, run := range sorted {
		h := run.Labels[v1alpha1.PodTemplateHashLabel]
		if h == "" {
			for _, candidate := range hashes {
				if strings.Contains(run.Name, "-"+candidate+"-") || strings.HasSuffix(run.Name, "-"+candidate) {
					h = candidate
					break
				}
			}
		}
		if h != "" && slices.Contains(hashes, h) {
			byHash[h] = append(byHash[h], run)
		} else {
			loose = append(loose, run)
		}
	}
	return byHash, loose
}
