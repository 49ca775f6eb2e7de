package workload

import (
	"encoding/json"
	"maps"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// EphemeralMetadataAnnotation records, on a ReplicaSet, the canaryMetadata or stableMetadata
// last put on its pods, so that it can be taken off again when the side changes.
const EphemeralMetadataAnnotation = "rollout.ramp.dev/ephemeral-metadata"

// EphemeralOf is the side metadata a ReplicaSet's pods carry now (empty when none).
func EphemeralOf(rs *appsv1.ReplicaSet) v1alpha1.PodTemplateMetadata {
	var md v1alpha1.PodTemplateMetadata
	if s := rs.Annotations[EphemeralMetadataAnnotation]; s != "" {
		_ = json.Unmarshal([]byte(s), &md) // a mangled record reads as none
	}
	return md
}

// SameMetadata reports whether two side metadata carry the same labels and annotations.
func SameMetadata(a, b v1alpha1.PodTemplateMetadata) bool {
	return maps.Equal(a.Labels, b.Labels) && maps.Equal(a.Annotations, b.Annotations)
}

// MetadataChange is a merge patch's view of moving pods from one side metadata to another:
// keys to set (to their value) or to remove (nil).
type MetadataChange struct {
	Labels      map[string]*string `json:"labels,omitempty"`
	Annotations map[string]*string `json:"annotations,omitempty"`
}

// ChangeMetadata is the change from the side metadata from to the side metadata to.
func ChangeMetadata(from, to v1alpha1.PodTemplateMetadata) MetadataChange {
	return MetadataChange{Labels: diff(from.Labels, to.Labels), Annotations: diff(from.Annotations, to.Annotations)}
}

func diff(from, to map[string]string) map[string]*string {
	out := map[string]*string{}
	for k := range from {
		if _, kept := to[k]; !kept {
			out[k] = nil
		}
	}
	for k, v := range to {
		if old, ok := from[k]; !ok || old != v {
			out[k] = &v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// RecordMetadata is the value of EphemeralMetadataAnnotation for side metadata md.
func RecordMetadata(md v1alpha1.PodTemplateMetadata) string {
	data, _ := json.Marshal(md) // plain maps: cannot fail
	return string(data)
}

// WithMetadata puts side metadata on a ReplicaSet about to be created: on its pod template,
// and recorded in its annotation.
func WithMetadata(rs *appsv1.ReplicaSet, md v1alpha1.PodTemplateMetadata) {
	tpl := &rs.Spec.Template
	for k, v := range md.Labels {
		tpl.Labels = withLabel(tpl.Labels, k, v)
	}
	for k, v := range md.Annotations {
		tpl.Annotations = withLabel(tpl.Annotations, k, v)
	}
	rs.Annotations = withLabel(rs.Annotations, EphemeralMetadataAnnotation, RecordMetadata(md))
}
