package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func testPod(name, ip, revision string, env ...corev1.EnvVar) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: name, UID: types.UID(name),
			Labels: map[string]string{"rollouts-pod-template-hash": revision}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Env: env,
			Ports: []corev1.ContainerPort{{ContainerPort: 80}}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip},
	}
}

// proxyGet sends a request down a tunnel to target, as Traefik does through the SOCKS front.
func proxyGet(t *testing.T, srv http.Handler, target string) *httptest.ResponseRecorder {
	t.Helper()
	host, port, _ := strings.Cut(target, ":")
	n, _ := strconv.Atoi(port)
	req := httptest.NewRequest(http.MethodGet, "http://web.example.com/", nil)
	req = req.WithContext(context.WithValue(req.Context(), targetKey{}, targetFor(host, int32(n))))
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	return rec
}

func targetFor(ip string, port int32) target { return target{IP: ip, Port: port} }

func TestAnswersAsThePodWithItsRevisionAndFailureShare(t *testing.T) {
	pods := newPodIndex(time.Second)
	pods.observe(testPod("good", "10.244.0.2", "aaa"))
	pods.observe(testPod("bad", "10.244.0.3", "bbb", corev1.EnvVar{Name: "FAIL_PERCENT", Value: "40"}))
	srv := newServer(pods.find)

	rec := proxyGet(t, srv, "10.244.0.2:80")
	if rec.Code != http.StatusOK || rec.Header().Get(headerRevision) != "aaa" || !strings.Contains(rec.Body.String(), "revision aaa") {
		t.Fatalf("good pod answered %d %q %q", rec.Code, rec.Header().Get(headerRevision), rec.Body.String())
	}
	failures := 0
	for range 100 {
		if rec := proxyGet(t, srv, "10.244.0.3:80"); rec.Code == http.StatusInternalServerError {
			failures++
		} else if rec.Code != http.StatusOK {
			t.Fatalf("bad pod answered %d", rec.Code)
		}
	}
	if failures != 40 {
		t.Errorf("FAIL_PERCENT=40: %d of 100 failed, want exactly 40", failures)
	}
	if rec := proxyGet(t, srv, "10.244.0.2:8080"); rec.Code != http.StatusBadGateway {
		t.Errorf("a port no container declares answered %d, want 502", rec.Code)
	}
	if rec := proxyGet(t, srv, "10.244.0.9:80"); rec.Code != http.StatusBadGateway {
		t.Errorf("an IP no pod has answered %d, want 502", rec.Code)
	}

	ctl := httptest.NewRecorder()
	srv.ServeHTTP(ctl, httptest.NewRequest(http.MethodGet, "/counts", nil))
	var counts []podCount
	if err := json.Unmarshal(ctl.Body.Bytes(), &counts); err != nil {
		t.Fatal(err)
	}
	if len(counts) != 2 || counts[0].Pod != "bad" || counts[0].Requests != 100 || counts[0].Failures != 40 || counts[1].Requests != 1 {
		t.Errorf("counts = %+v", counts)
	}
}

func TestADeletedPodAnswersOnlyForTheDrain(t *testing.T) {
	now := time.Unix(1000, 0)
	pods := newPodIndex(2 * time.Second)
	pods.now = func() time.Time { return now }
	old := testPod("old", "10.244.0.2", "aaa")
	pods.observe(old)
	pods.forget(old)
	if _, ok := pods.find("10.244.0.2", 80); !ok {
		t.Fatal("a pod just deleted stopped answering before its drain")
	}
	now = now.Add(2 * time.Second)
	if _, ok := pods.find("10.244.0.2", 80); ok {
		t.Fatal("a deleted pod still answers after its drain")
	}

	// An IP reused by a new pod answers as the new pod, whatever the old one's events say.
	pods.observe(testPod("new", "10.244.0.2", "bbb"))
	pods.forget(old)
	if b, ok := pods.find("10.244.0.2", 80); !ok || b.Name != "new" {
		t.Fatalf("reused IP answered as %+v %v, want pod new", b, ok)
	}
	pending := testPod("pending", "10.244.0.4", "ccc")
	pending.Status.Phase = corev1.PodPending
	pods.observe(pending)
	if _, ok := pods.find("10.244.0.4", 80); ok {
		t.Fatal("a pod that is not Running answers")
	}
}

func TestTemplateBehaviourIsBounded(t *testing.T) {
	b, ok := backendFor(testPod("p", "10.244.0.2", "a",
		corev1.EnvVar{Name: "FAIL_PERCENT", Value: "400"}, corev1.EnvVar{Name: "LATENCY_MS", Value: "99999999"}), 80)
	if !ok || b.FailPercent != 100 || b.Latency != maxLatency {
		t.Fatalf("got %+v, want FailPercent 100 and Latency %s", b, maxLatency)
	}
	b, _ = backendFor(testPod("p", "10.244.0.2", "a", corev1.EnvVar{Name: "FAIL_PERCENT", Value: "lots"}), 80)
	if b.FailPercent != 0 {
		t.Fatalf("unparseable FAIL_PERCENT gave %d, want 0", b.FailPercent)
	}
}

// Through the SOCKS front with Go's own SOCKS client, as Traefik's transport dials: a pod's
// address connects and answers as the pod, any other address refuses the connection.
func TestSocksFrontTunnelsToPodsAndRefusesOthers(t *testing.T) {
	pods := newPodIndex(time.Second)
	pods.observe(testPod("good", "10.244.0.2", "aaa"))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	has := func(t target) bool { _, ok := pods.find(t.IP, t.Port); return ok }
	srv := &http.Server{Handler: newServer(pods.find), ConnContext: connContext}
	go func() { _ = srv.Serve(newFrontListener(l, has)) }()
	defer srv.Close()

	proxy, _ := url.Parse("socks5://" + l.Addr().String())
	c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy)}, Timeout: 5 * time.Second}
	resp, err := c.Get("http://10.244.0.2:80/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get(headerRevision) != "aaa" {
		t.Fatalf("through the tunnel: %d revision %q", resp.StatusCode, resp.Header.Get(headerRevision))
	}
	if _, err := c.Get("http://10.244.0.7:80/"); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("an address no pod has: err %v, want connection refused", err)
	}
	ctl, err := http.Get("http://" + l.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	ctl.Body.Close()
	if ctl.StatusCode != http.StatusOK {
		t.Fatalf("/healthz on the same port: %d", ctl.StatusCode)
	}
}
