package plan

import (
	"encoding/json"
	"fmt"
	"hash/fnv"

	"k8s.io/apimachinery/pkg/util/rand"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// stepsHash identifies the step list, so that editing it restarts the steps.
func stepsHash(steps []v1alpha1.CanaryStep) string {
	return contentHash(steps)
}

// contentHash is a short name-safe hash of plain spec data.
func contentHash(v any) string {
	data, _ := json.Marshal(v) // plain data: cannot fail
	h := fnv.New32a()
	_, _ = h.Write(data)
	return rand.SafeEncodeString(fmt.Sprint(h.Sum32()))
}
