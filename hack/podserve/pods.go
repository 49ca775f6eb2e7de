package main

import (
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// podIndex holds the pods that answer, by IP. A pod that is deleted, or starts terminating,
// keeps answering for drain: kwok removes pods at once, where a real app finishes the requests
// a proxy still sends it while its endpoint is withdrawn.
type podIndex struct {
	drain time.Duration
	now   func() time.Time

	mu   sync.Mutex
	byIP map[string]*indexed
}

type indexed struct {
	pod   *corev1.Pod
	until time.Time // zero while the pod is live
}

func newPodIndex(drain time.Duration) *podIndex {
	return &podIndex{drain: drain, now: time.Now, byIP: map[string]*indexed{}}
}

// observe records a pod as the informer reports it.
func (x *podIndex) observe(pod *corev1.Pod) {
	ip := pod.Status.PodIP
	if ip == "" {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	cur := x.byIP[ip]
	switch {
	case pod.Status.Phase != corev1.PodRunning:
		if cur != nil && cur.pod.UID == pod.UID {
			delete(x.byIP, ip)
		}
	case pod.DeletionTimestamp != nil:
		x.startDrain(ip, pod)
	default:
		x.byIP[ip] = &indexed{pod: pod}
	}
}

// forget records that a pod is gone; it drains first.
func (x *podIndex) forget(pod *corev1.Pod) {
	if pod.Status.PodIP == "" {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.startDrain(pod.Status.PodIP, pod)
}

func (x *podIndex) startDrain(ip string, pod *corev1.Pod) {
	cur := x.byIP[ip]
	if cur != nil && cur.pod.UID != pod.UID {
		return // the IP already belongs to a newer pod
	}
	if cur != nil && !cur.until.IsZero() {
		return
	}
	x.byIP[ip] = &indexed{pod: pod, until: x.now().Add(x.drain)}
}

// find is the lookup the server uses.
func (x *podIndex) find(ip string, port int32) (podBackend, bool) {
	x.mu.Lock()
	e := x.byIP[ip]
	if e != nil && !e.until.IsZero() && !x.now().Before(e.until) {
		delete(x.byIP, ip)
		e = nil
	}
	x.mu.Unlock()
	if e == nil {
		return podBackend{}, false
	}
	return backendFor(e.pod, port)
}
