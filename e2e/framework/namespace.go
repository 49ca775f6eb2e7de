package framework

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// dumpedKinds are listed, in this order, into the test log when a test fails.
var dumpedKinds = []string{"Rollout.v1alpha1.rollouts.ramp.dev", "Deployment.v1.apps", "ReplicaSet.v1.apps", "Pod.v1.", "Service.v1."}

// Namespace creates a namespace for the test, named after it, and deletes it when the test
// ends. When the test fails, the namespace's objects and events are written to the test log
// first.
func (c *Cluster) Namespace(t testing.TB) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		GenerateName: "e2e-" + dnsLabel(t.Name(), 40) + "-",
		Labels:       map[string]string{"ramp.dev/e2e": "true"},
	}}
	if err := c.Client.Create(context.Background(), ns); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			c.DumpNamespace(t, ns.Name)
		}
		if err := c.Client.Delete(context.Background(), ns); err != nil {
			t.Logf("delete namespace %s: %v", ns.Name, err)
		}
	})
	return ns.Name
}

// DumpNamespace writes the objects and events of a namespace into the test log.
func (c *Cluster) DumpNamespace(t testing.TB, ns string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var b strings.Builder
	fmt.Fprintf(&b, "==== state of namespace %s ====\n", ns)
	for _, kind := range dumpedKinds {
		parts := strings.SplitN(kind, ".", 3)
		list := &unstructured.UnstructuredList{}
		list.SetAPIVersion(strings.TrimPrefix(parts[2]+"/"+parts[1], "/"))
		list.SetKind(parts[0] + "List")
		if err := c.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
			fmt.Fprintf(&b, "-- %s: %v\n", parts[0], err)
			continue
		}
		for _, item := range list.Items {
			item.SetManagedFields(nil)
			out, _ := yaml.Marshal(item.Object)
			fmt.Fprintf(&b, "-- %s %s\n%s", parts[0], item.GetName(), out)
		}
	}
	events := &corev1.EventList{}
	if err := c.Client.List(ctx, events, client.InNamespace(ns)); err == nil {
		sort.Slice(events.Items, func(i, j int) bool { return eventTime(events.Items[i]).Before(eventTime(events.Items[j])) })
		b.WriteString("-- events\n")
		for _, e := range events.Items {
			fmt.Fprintf(&b, "%s %s %s/%s %s: %s\n", eventTime(e).Format(time.RFC3339), e.Type,
				e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Message)
		}
	}
	t.Log(b.String())
}

func eventTime(e corev1.Event) time.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	}
	return e.CreationTimestamp.Time
}

// dnsLabel turns s into lower-case letters, digits and dashes, at most n long.
func dnsLabel(s string, n int) string {
	out := make([]byte, 0, len(s))
	for _, c := range []byte(strings.ToLower(s)) {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			out = append(out, c)
		} else if len(out) > 0 && out[len(out)-1] != '-' {
			out = append(out, '-')
		}
	}
	if len(out) > n {
		out = out[:n]
	}
	return strings.Trim(string(out), "-")
}
