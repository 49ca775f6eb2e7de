package plan

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/rand"

	"github.com/ramp-dev/ramp/api/v1alpha1"
)

// maxPause is the longest timed pause: longer is surely a typo, and a number of seconds past it
// would overflow a time.Duration into an indefinite (or negative) pause.
const maxPause = 366 * 24 * time.Hour

// pauseDuration is a pause step's duration; 0 means until promoted. Negative, overlong, empty
// and unparsable durations are errors that say what is accepted.
func pauseDuration(p *v1alpha1.RolloutPause) (time.Duration, error) {
	if p.Duration == nil {
		return 0, nil
	}
	usage := func(v string) error {
		return fmt.Errorf("%q is not a duration: use seconds (30) or a number with s, m or h (30s, 5m, 1h), at most %.0fh", v, maxPause.Hours())
	}
	seconds := func(n int64, text string) (time.Duration, error) {
		if n < 0 || n > int64(maxPause/time.Second) {
			return 0, usage(text)
		}
		return time.Duration(n) * time.Second, nil
	}
	if p.Duration.Type == intstr.Int {
		return seconds(int64(p.Duration.IntVal), strconv.Itoa(int(p.Duration.IntVal)))
	}
	s := strings.TrimSpace(p.Duration.StrVal)
	if s == "" {
		return 0, usage(p.Duration.StrVal)
	}
	if strings.Trim(s, "0123456789+-") == "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, usage(s)
		}
		return seconds(n, s)
	}
	if !strings.ContainsAny(s[len(s)-1:], "smh") {
		return 0, usage(s)
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > maxPause {
		return 0, usage(s)
	}
	return d, nil
}

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
