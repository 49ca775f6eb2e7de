// Package workload derives the ReplicaSet of each revision of a Rollout's pod template: its
// hash, name, labels and revision. Everything here is pure.
package workload

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/rand"
)

// TemplateHash is the pod-template hash of a revision. It hashes the template's JSON form, not
// a dump of the Go struct, so that a new optional field in a later k8s.io/api (absent from the
// JSON when unset) does not change every hash and restart every Rollout after an upgrade.
// collisionCount, when set, is mixed in to step past a name collision.
func TemplateHash(template *corev1.PodTemplateSpec, collisionCount *int32) (string, error) {
	data, err := json.Marshal(template)
	if err != nil {
		return "", fmt.Errorf("hash pod template: %w", err)
	}
	h := fnv.New32a()
	_, _ = h.Write(data)
	if collisionCount != nil {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(*collisionCount))
		_, _ = h.Write(b[:])
	}
	return rand.SafeEncodeString(fmt.Sprint(h.Sum32())), nil
}
