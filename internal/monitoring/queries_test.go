package monitoring

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

const (
	dashboard = "../../config/grafana/ramp-dashboard.json"
	rules     = "../../config/prometheus/rules.yaml"
)

// The dashboard covers what the issue asks for, and every panel is a well-formed query of the
// data source the user picks.
func TestDashboardShowsEveryTopic(t *testing.T) {
	exprs, err := DashboardQueries(dashboard)
	if err != nil {
		t.Fatal(err)
	}
	names := strings.Join(MetricNames(exprs), " ")
	for topic, metric := range map[string]string{
		"rollouts by phase":       "ramp_rollout_info",
		"step per rollout":        "ramp_rollout_step",
		"weight per rollout":      "ramp_rollout_canary_weight_percent",
		"transitions":             "ramp_rollout_transitions_total",
		"measurements by phase":   "ramp_analysis_measurements_total",
		"provider latency":        "ramp_analysis_measurement_duration_seconds_bucket",
		"reconcile errors":        "controller_runtime_reconcile_errors_total",
		"queue depth":             "workqueue_depth",
		"pods per rollout":        "ramp_rollout_replicas",
		"runs ended by phase":     "ramp_analysis_runs_total",
		"reconcile latency (p95)": "controller_runtime_reconcile_time_seconds_bucket",
	} {
		if !strings.Contains(" "+names+" ", " "+metric+" ") {
			t.Errorf("no panel shows %s (%s)", topic, metric)
		}
	}

	data, err := os.ReadFile(dashboard)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID    string `json:"uid"`
		Panels []struct {
			ID         int `json:"id"`
			Title      string
			Datasource struct{ UID string }     `json:"datasource"`
			GridPos    struct{ X, Y, W, H int } `json:"gridPos"`
			Targets    []struct{ Expr string }  `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	ids := map[int]bool{}
	cells := map[[2]int]string{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d twice", p.ID)
		}
		ids[p.ID] = true
		if p.Datasource.UID != "${datasource}" || len(p.Targets) == 0 || p.Title == "" {
			t.Errorf("panel %d %q: data source %q, %d queries", p.ID, p.Title, p.Datasource.UID, len(p.Targets))
		}
		if p.GridPos.W == 0 || p.GridPos.H == 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q: grid %+v", p.Title, p.GridPos)
		}
		for x := p.GridPos.X; x < p.GridPos.X+p.GridPos.W; x++ {
			for y := p.GridPos.Y; y < p.GridPos.Y+p.GridPos.H; y++ {
				if other, ok := cells[[2]int{x, y}]; ok {
					t.Fatalf("panels %q and %q overlap", other, p.Title)
				}
				cells[[2]int{x, y}] = p.Title
			}
		}
	}
	if d.UID == "" {
		t.Error("the dashboard has no uid (imports would duplicate it)")
	}
}

func TestRulesAndNames(t *testing.T) {
	exprs, err := RuleQueries(rules)
	if err != nil {
		t.Fatal(err)
	}
	if len(exprs) < 6 {
		t.Errorf("%d rules", len(exprs))
	}
	got := MetricNames([]string{`sum(rate(ramp_a_total{x="ramp_label"}[5m])) / up{job="x"} + workqueue_depth`})
	if strings.Join(got, " ") != "ramp_a_total workqueue_depth" {
		t.Errorf("names %v", got)
	}
	families := Families("# HELP h_seconds x\n# TYPE h_seconds histogram\nh_seconds_bucket{le=\"1\"} 1\n# TYPE c_total counter\n")
	for name, want := range map[string]bool{"h_seconds_bucket": true, "h_seconds_count": true, "c_total": true, "c_total_bucket": false, "other": false} {
		if Exported(name, families) != want {
			t.Errorf("Exported(%s) = %v", name, !want)
		}
	}
}
