package render

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/ramp-dev/ramp/pkg/cli/style"
)

// podNode is a pod line: its state as kubectl would name it and "ready:1/1,restarts:2".
func podNode(pod *corev1.Pod, now time.Time, p style.Painter) node {
	ready, restarts := 0, int32(0)
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Ready {
			ready++
		}
		restarts += cs.RestartCount
	}
	total := max(len(pod.Spec.Containers), len(pod.Status.ContainerStatuses))
	info := fmt.Sprintf("ready:%d/%d", ready, total)
	if restarts > 0 {
		info += fmt.Sprintf(",restarts:%d", restarts)
	}
	return node{
		icon: iconPod, name: pod.Name, kind: "Pod",
		status: podStatus(pod, ready == total && total > 0, p),
		age:    style.Since(pod.CreationTimestamp.Time, now),
		info:   style.Text(info),
	}
}

// failingReasons are the waiting and termination reasons of a container that will not start
// without someone fixing something.
var failingReasons = map[string]bool{
	"CrashLoopBackOff": true, "ImagePullBackOff": true, "ErrImagePull": true, "ErrImageNeverPull": true,
	"InvalidImageName": true, "CreateContainerConfigError": true, "CreateContainerError": true,
	"RunContainerError": true, "Error": true, "OOMKilled": true, "ContainerCannotRun": true,
}

func podStatus(pod *corev1.Pod, allReady bool, p style.Painter) style.Cell {
	if pod.DeletionTimestamp != nil {
		return p.Cell(style.Busy, style.SymbolRunning+" Terminating")
	}
	if reason := containerReason(pod); reason != "" {
		if failingReasons[strings.TrimPrefix(reason, "Init:")] {
			return p.Cell(style.Bad, style.SymbolFailed+" "+reason)
		}
		return p.Cell(style.Busy, style.SymbolRunning+" "+reason)
	}
	switch pod.Status.Phase {
	case corev1.PodRunning:
		if allReady {
			return p.Cell(style.Good, style.SymbolOK+" Running")
		}
		return p.Cell(style.Busy, style.SymbolRunning+" Running")
	case corev1.PodPending:
		return p.Cell(style.Waiting, style.SymbolPending+" Pending")
	case corev1.PodSucceeded:
		return p.Cell(style.Good, style.SymbolOK+" Succeeded")
	case corev1.PodFailed:
		return p.Cell(style.Bad, style.SymbolFailed+" "+orDefault(pod.Status.Reason, "Failed"))
	}
	return p.Cell(style.Faint, style.SymbolUnknown+" Unknown")
}

// containerReason is why a container is not running, as kubectl shows it: an init container's
// reason is prefixed "Init:".
func containerReason(pod *corev1.Pod) string {
	for _, cs := range pod.Status.InitContainerStatuses {
		if r := stateReason(cs.State); r != "" && r != "Completed" {
			return "Init:" + r
		}
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if r := stateReason(cs.State); r != "" && r != "Completed" {
			return r
		}
	}
	return ""
}

func stateReason(s corev1.ContainerState) string {
	switch {
	case s.Waiting != nil:
		return s.Waiting.Reason
	case s.Terminated != nil:
		return s.Terminated.Reason
	}
	return ""
}
