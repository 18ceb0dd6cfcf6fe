{{/* Names and labels every template of the ocm-hub chart shares. */}}

{{- define "ocm-hub.name" -}}ocm-hub-controller{{- end -}}

{{- define "ocm-hub.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{- define "ocm-hub.labels" -}}
app.kubernetes.io/name: ocm-hub
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "ocm-hub.selector" -}}
app.kubernetes.io/name: ocm-hub
app.kubernetes.io/component: hub-controller
{{- end -}}
