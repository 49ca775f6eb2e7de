package v1alpha1

import "testing"

func TestDerivedFacts(t *testing.T) {
	w := func(v int32) *int32 { return &v }
	steps := []CanaryStep{{SetWeight: w(20)}, {Pause: &RolloutPause{}}, {SetWeight: w(150)}, {Pause: &RolloutPause{}}}
	c := &CanaryStrategy{Steps: steps}
	for i, want := range []int32{20, 20, 100, 100, 100} { // capped at the total; the total once done
		if got := c.WeightAt(int32(i)); got != want {
			t.Errorf("WeightAt(%d) = %d, want %d", i, got, want)
		}
	}
	routed := &CanaryStrategy{Steps: steps, TrafficRouting: &RolloutTrafficRouting{MaxTrafficWeight: w(1000)}}
	if got := routed.WeightAt(2); got != 150 {
		t.Errorf("WeightAt(2) of 1000 = %d, want 150", got)
	}
	if got := routed.WeightAt(4); got != 1000 {
		t.Errorf("WeightAt(done) of 1000 = %d, want 1000", got)
	}
	for _, tc := range []struct {
		c    *CanaryStrategy
		i    int32
		want string
	}{{c, 0, "1/4"}, {c, 3, "4/4"}, {c, 4, "4/4"}, {c, -1, "1/4"}, {&CanaryStrategy{}, 0, "-"}, {nil, 0, "-"}} {
		if got := tc.c.StepLabel(tc.i); got != tc.want {
			t.Errorf("StepLabel(%d) = %q, want %q", tc.i, got, tc.want)
		}
	}
	if (*CanaryStrategy)(nil).TotalWeight() != 100 || (&RolloutTrafficRouting{MaxTrafficWeight: w(0)}).TotalWeight() != 1 {
		t.Error("TotalWeight defaults: 100 without routing, at least 1")
	}
	no := false
	if !(&BlueGreenStrategy{}).AutoPromotes() || (&BlueGreenStrategy{AutoPromotionEnabled: &no}).AutoPromotes() {
		t.Error("AutoPromotes: true unless autoPromotionEnabled is false")
	}
}
