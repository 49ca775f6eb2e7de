package convert

import (
	"regexp"
	"strings"
)

// What became of the Argo Rollouts features ramp lacks, and what to do instead, by field path
// with list indices written [].
var argoFeatures = map[string]string{
	"spec.strategy.canary.steps[].experiment": "ramp has no Experiments; the step was dropped " +
		"(an analysis step can check the canary instead)",
	"spec.strategy.canary.steps[].plugin":  "ramp has no step plugins; the step was dropped",
	"spec.strategy.canary.antiAffinity":    msgAntiAffinity,
	"spec.strategy.blueGreen.antiAffinity": msgAntiAffinity,
	"spec.strategy.canary.pingPong": "ramp has no ping-pong Services: set canaryService and stableService instead; " +
		"dropped",
	"spec.templates": "ramp has no nested AnalysisTemplates: list each template in the Rollout's analysis " +
		"instead; dropped",
	"spec.metrics[].provider.prometheus.authentication.sigv4":  msgPrometheusAuth,
	"spec.metrics[].provider.prometheus.authentication.oauth2": msgPrometheusAuth,
	"spec.metrics[].provider.web.jsonBody": "ramp takes the request body as text: put the JSON in body; " +
		"dropped",
	"spec.metrics[].provider.web.authentication": "ramp's web metric has no OAuth2: send a token in a header " +
		"from a Secret argument; dropped",
}

const (
	msgAntiAffinity   = "ramp does not keep the old and new revisions' pods on separate nodes; dropped"
	msgPrometheusAuth = "ramp authenticates to Prometheus with a bearer token or basic auth; dropped"
	msgRouter         = "ramp routes traffic with nginx, istio or gatewayAPI; the field was dropped"
	msgProvider       = "ramp measures with prometheus, web or job; the metric was dropped: rewrite it with " +
		"one of those (web can query most metrics APIs)"
	msgAnalysisRunMetadata = "ramp does not label or annotate the AnalysisRuns it creates; dropped"
	msgGeneric             = "not supported by ramp; dropped"
)

// argoRouters are the trafficRouting data planes of Argo Rollouts that ramp lacks.
var argoRouters = []string{"alb", "smi", "ambassador", "appMesh", "traefik", "apisix", "plugins"}

// argoProviders are the metric providers of Argo Rollouts that ramp lacks.
var argoProviders = []string{
	"datadog", "newRelic", "wavefront", "kayenta", "cloudWatch", "graphite", "influxdb", "skywalking", "plugin",
}

func init() {
	for _, r := range argoRouters {
		argoFeatures["spec.strategy.canary.trafficRouting."+r] = msgRouter
	}
	for _, p := range argoProviders {
		argoFeatures["spec.metrics[].provider."+p] = msgProvider
	}
}

var listIndex = regexp.MustCompile(`\[\d+\]`)

// unsupportedMessage says what became of an Argo Rollouts field ramp does not have.
func unsupportedMessage(path string) string {
	general := listIndex.ReplaceAllString(path, "[]")
	if m, ok := argoFeatures[general]; ok {
		return m
	}
	if strings.HasSuffix(general, ".analysisRunMetadata") {
		return msgAnalysisRunMetadata
	}
	if strings.HasPrefix(general, "spec.template.") {
		return "not a field of a pod template; dropped"
	}
	return msgGeneric
}
