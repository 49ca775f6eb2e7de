package render

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ramp-dev/ramp/api/v1alpha1"
	analysisvalue "github.com/ramp-dev/ramp/pkg/analysis"
	"github.com/ramp-dev/ramp/pkg/cli/style"
)

// maxValueWidth bounds a measured value in INFO: a Prometheus vector can be long.
const maxValueWidth = 24

// analysisRunNode is an AnalysisRun line. INFO has each metric's last value, state and counts:
// "error-rate=0.012 ✔ (3 ok)", and the run's message when it did not succeed.
func analysisRunNode(run v1alpha1.AnalysisRun, now time.Time, p style.Painter) node {
	phase := orDefault(string(run.Status.Phase), string(v1alpha1.AnalysisPhasePending))
	sym, tone := style.AnalysisSymbol(v1alpha1.AnalysisPhase(phase))
	metrics := make([]style.Cell, 0, len(run.Status.MetricResults))
	for _, m := range run.Status.MetricResults {
		metrics = append(metrics, metricCell(m, p))
	}
	info := style.JoinCells(metrics, ", ")
	// A successful or running run's message only repeats its metrics.
	if msg := run.Status.Message; msg != "" && (len(metrics) == 0 || badRun(run.Status.Phase)) {
		if len(metrics) > 0 {
			msg = " — " + msg
		}
		info = style.Concat(info, style.Text(msg))
	}
	return node{
		icon: iconAnalysisRun, name: run.Name, kind: "AnalysisRun",
		status: p.Cell(tone, sym+" "+phase),
		age:    style.Since(run.CreationTimestamp.Time, now),
		info:   info,
	}
}

func badRun(phase v1alpha1.AnalysisPhase) bool {
	return phase.Completed() && phase != v1alpha1.AnalysisPhaseSuccessful
}

func metricCell(m v1alpha1.MetricResult, p style.Painter) style.Cell {
	name := m.Name
	if v := lastValue(m.Measurements); v != "" {
		name += "=" + v
	}
	sym, tone := style.AnalysisSymbol(v1alpha1.AnalysisPhase(orDefault(string(m.Phase), string(v1alpha1.AnalysisPhasePending))))
	c := style.Concat(style.Text(name+" "), p.Cell(tone, sym))
	var counts []string
	for _, n := range []struct {
		count int32
		what  string
	}{{m.Successful, "ok"}, {m.Failed, "failed"}, {m.Inconclusive, "inconclusive"}, {m.Error, "error"}} {
		if n.count > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", n.count, n.what))
		}
	}
	if len(counts) > 0 {
		c = style.Concat(c, style.Text(" ("+strings.Join(counts, ", ")+")"))
	}
	return c
}

// lastValue is the newest measured value on one line, shortened to maxValueWidth.
func lastValue(ms []v1alpha1.Measurement) string {
	for i := len(ms) - 1; i >= 0; i-- {
		v := strings.Join(strings.Fields(analysisvalue.ReadableValue(ms[i].Value)), " ")
		if v == "" {
			continue
		}
		if utf8.RuneCountInString(v) > maxValueWidth {
			v = string([]rune(v)[:maxValueWidth-1]) + "…"
		}
		return v
	}
	return ""
}
