package framework

import (
	"strings"
	"testing"
	"time"
)

func TestDNSLabel(t *testing.T) {
	tests := map[string]string{
		"TestDeploymentBecomesAvailable":                     "testdeploymentbecomesavailable",
		"TestSteps/pause_5m":                                 "teststeps-pause-5m",
		"Test__Odd--Name/":                                   "test-odd-name",
		"TestAVeryLongNameThatGoesOnAndOnForEver":            "testaverylongnamethatgoesonandonforever",
		"TestAVeryLongNameThatGoesOnAndOnForEverAndEver_sub": "testaverylongnamethatgoesonandonforevera",
	}
	for in, want := range tests {
		if got := dnsLabel(in, 40); got != want {
			t.Errorf("dnsLabel(%q) = %q, want %q", in, got, want)
		}
	}
	if got := dnsLabel("Test_x_", 6); got != "test-x" {
		t.Errorf("a cut must not end in a dash: got %q", got)
	}
}

func TestDecodeYAMLSkipsEmptyDocuments(t *testing.T) {
	objs, err := decodeYAML([]byte("---\napiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n# only a comment\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: b}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 || objs[0].GetKind() != "Service" || objs[1].GetName() != "b" {
		t.Fatalf("got %d objects: %v", len(objs), objs)
	}
	if _, err := decodeYAML([]byte("apiVersion: v1\nkind: [unclosed\n")); err == nil {
		t.Fatal("malformed YAML decoded without an error")
	}
}

func TestRBACDenial(t *testing.T) {
	denied := `{"level":"error","msg":"Reconciler error","error":"replicasets.apps is forbidden: User \"system:serviceaccount:ramp-system:ramp-controller\" cannot list resource \"replicasets\""}`
	terminating := `{"level":"error","msg":"Server rejected event","error":"events.events.k8s.io is forbidden: unable to create new content in namespace e2e-x because it is being terminated"}`
	if RBACDenial("ok\n"+denied+"\n") != denied {
		t.Error("an RBAC denial went unnoticed")
	}
	if got := RBACDenial(terminating); got != "" {
		t.Errorf("a terminating namespace was taken for an RBAC denial: %s", got)
	}
	stamped := strings.Replace(denied, `{"level"`, `{"ts":"2026-12-03T16:55:06Z","level"`, 1)
	restart := Window{From: time.Date(2026, 12, 3, 16, 54, 56, 500, time.UTC), To: time.Date(2026, 12, 3, 16, 55, 10, 0, time.UTC)}
	if got := RBACDenial(stamped, restart); got != "" {
		t.Errorf("a denial while the API server restarted was taken for a missing rule: %s", got)
	}
	if got := RBACDenial(stamped, Window{From: restart.To, To: restart.To.Add(time.Minute)}); got != stamped {
		t.Errorf("a denial outside the restart went unnoticed: %q", got)
	}
}
