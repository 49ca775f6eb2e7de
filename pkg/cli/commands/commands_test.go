package commands

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	"github.com/ramp-dev/ramp/pkg/workload"
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// cli is kubectl-ramp against a fake API server holding objs, in namespace shop.
type cli struct {
	t        *testing.T
	c        client.WithWatch
	out, err lockedBuffer
	managers []string // "status:kubectl-ramp": the subresource and field manager of each patch
}

// lockedBuffer is a bytes.Buffer safe for one writer and one reader at a time.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *lockedBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

func (k *cli) outSoFar() string { return k.out.String() }

func newCLI(t *testing.T, objs ...client.Object) *cli {
	t.Helper()
	k := &cli{t: t}
	k.c = fake.NewClientBuilder().WithScheme(Scheme).WithObjects(objs...).
		WithStatusSubresource(&v1alpha1.Rollout{}, &v1alpha1.AnalysisRun{}).
		WithInterceptorFuncs(interceptor.Funcs{
			Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
				o := &client.PatchOptions{}
				o.ApplyOptions(opts)
				k.managers = append(k.managers, "spec:"+o.FieldManager)
				return c.Patch(ctx, obj, patch, opts...)
			},
			SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
				o := &client.SubResourcePatchOptions{}
				o.ApplyOptions(opts)
				k.managers = append(k.managers, sub+":"+o.FieldManager)
				return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
			},
		}).Build()
	return k
}

// run runs one command line and returns its exit code.
func (k *cli) run(ctx context.Context, args ...string) int {
	k.out.Reset()
	k.err.Reset()
	o := &Options{
		Streams:   genericiooptions.IOStreams{In: strings.NewReader(""), Out: &k.out, ErrOut: &k.err},
		NewClient: func() (client.WithWatch, error) { return k.c, nil },
		Namespace: func() (string, error) { return "shop", nil },
		Now:       func() time.Time { return now },
		Version:   "v0.0.0-test",
	}
	root := NewRoot(o)
	root.SetContext(ctx)
	return Run(root, args, &k.err)
}

func (k *cli) mustRun(args ...string) string {
	k.t.Helper()
	if code := k.run(context.Background(), args...); code != 0 {
		k.t.Fatalf("kubectl ramp %s: exit %d, stderr %q", strings.Join(args, " "), code, k.err.String())
	}
	return k.out.String()
}

func (k *cli) rollout() *v1alpha1.Rollout {
	k.t.Helper()
	ro := &v1alpha1.Rollout{}
	if err := k.c.Get(context.Background(), client.ObjectKey{Namespace: "shop", Name: "web"}, ro); err != nil {
		k.t.Fatal(err)
	}
	return ro
}

func (k *cli) setStatus(mutate func(*v1alpha1.RolloutStatus)) {
	k.t.Helper()
	ro := k.rollout()
	mutate(&ro.Status)
	if err := k.c.Status().Update(context.Background(), ro); err != nil {
		k.t.Fatal(err)
	}
}

func webRollout(mutate ...func(*v1alpha1.Rollout)) *v1alpha1.Rollout {
	ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", UID: "ro-uid", Generation: 1,
		CreationTimestamp: metav1.NewTime(now.Add(-time.Hour))}}
	ro.Spec.Replicas = ptr.To[int32](2)
	ro.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	ro.Spec.Template = corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web:2"}}},
	}
	ro.Spec.Strategy.Canary = &v1alpha1.CanaryStrategy{Steps: []v1alpha1.CanaryStep{{SetWeight: ptr.To[int32](20)}, {Pause: &v1alpha1.RolloutPause{}}}}
	ro.Status = v1alpha1.RolloutStatus{ObservedGeneration: 1, Phase: v1alpha1.RolloutPhasePaused, Message: "step 2/2: paused until promoted",
		CurrentPodHash: "bbb", StableRS: "aaa", CurrentStepIndex: ptr.To[int32](1),
		PauseConditions: []v1alpha1.PauseCondition{{Reason: v1alpha1.PauseReasonCanaryPauseStep, StartTime: metav1.NewTime(now)}}}
	for _, m := range mutate {
		m(ro)
	}
	return ro
}

func replicaSet(ro *v1alpha1.Rollout, revision int64, hash, image string) *appsv1.ReplicaSet {
	src := ro.DeepCopy()
	src.Spec.Template.Spec.Containers[0].Image = image
	rs := workload.NewReplicaSet(src, hash, revision, 1)
	rs.UID = types.UID("rs-" + rs.Name)
	return rs
}
