{{/* The controller's name: ramp-controller for a release named ramp, as in config/default. */}}
{{- define "ramp.fullname" -}}
{{- printf "%s-controller" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "ramp.selectorLabels" -}}
app.kubernetes.io/name: ramp
app.kubernetes.io/component: controller
{{- if ne .Release.Name "ramp" }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
{{- end -}}

{{- define "ramp.labels" -}}
app.kubernetes.io/name: ramp
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "ramp.image" -}}
{{- if .Values.image.digest -}}
{{- if not (hasPrefix "sha256:" .Values.image.digest) -}}
{{- fail (printf "image.digest %q: want sha256:<64 hex digits>" .Values.image.digest) -}}
{{- end -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* The controller's own user name, which the admission policy exempts. */}}
{{- define "ramp.username" -}}
{{- printf "system:serviceaccount:%s:%s" .Release.Namespace (include "ramp.fullname" .) -}}
{{- end -}}

{{/* The generated RBAC (files/role.yaml, copied from config/rbac by make manifests): the rules of its object of kind $kind. */}}
{{- define "ramp.generatedRules" -}}
{{- $kind := .kind -}}
{{- range $doc := regexSplit "(?m)^---$" (.root.Files.Get "files/role.yaml") -1 -}}
{{- $obj := fromYaml $doc -}}
{{- if eq (toString $obj.kind) $kind -}}
{{- toYaml $obj.rules -}}
{{- end -}}
{{- end -}}
{{- end -}}
