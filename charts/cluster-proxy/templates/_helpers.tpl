{{/* Names, labels and the derived values every template shares. */}}

{{- define "cluster-proxy.tag" -}}
{{- .Values.tag | default .Chart.AppVersion -}}
{{- end -}}

{{- define "cluster-proxy.image" -}}
{{- printf "%s/%s:%s" .Values.registry .Values.image (include "cluster-proxy.tag" .) -}}
{{- end -}}

{{- define "cluster-proxy.proxyServerImage" -}}
{{- printf "%s:%s" .Values.proxyServerImage (include "cluster-proxy.tag" .) -}}
{{- end -}}

{{- define "cluster-proxy.proxyAgentImage" -}}
{{- printf "%s:%s" .Values.proxyAgentImage (include "cluster-proxy.tag" .) -}}
{{- end -}}

{{/* Upstream's fixed in-cluster Service of the proxy-server (MPC inClusterServiceName default). */}}
{{- define "cluster-proxy.entrypointService" -}}proxy-entrypoint{{- end -}}

{{- define "cluster-proxy.userServerName" -}}cluster-proxy-addon-user{{- end -}}

{{/*
Entrypoint type: explicit, else upstream's choice (an address means Hostname, the LB switch means
LoadBalancerService), else Hostname with the in-cluster Service (upstream falls back to PortForward).
*/}}
{{- define "cluster-proxy.entrypointType" -}}
{{- if .Values.proxyServer.entrypointType -}}
{{- .Values.proxyServer.entrypointType -}}
{{- else if .Values.proxyServer.entrypointAddress -}}
Hostname
{{- else if .Values.proxyServer.entrypointLoadBalancer -}}
LoadBalancerService
{{- else -}}
Hostname
{{- end -}}
{{- end -}}

{{- define "cluster-proxy.entrypointAddress" -}}
{{- .Values.proxyServer.entrypointAddress | default (printf "%s.%s.svc" (include "cluster-proxy.entrypointService" .) .Release.Namespace) -}}
{{- end -}}

{{- define "cluster-proxy.placementName" -}}
{{- .Values.installByPlacement.placementName | default "cluster-proxy-placement" -}}
{{- end -}}

{{- define "cluster-proxy.placementNamespace" -}}
{{- .Values.installByPlacement.placementNamespace | default .Release.Namespace -}}
{{- end -}}

{{- define "cluster-proxy.labels" -}}
app.kubernetes.io/name: cluster-proxy
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
open-cluster-management.io/addon: cluster-proxy
{{- end -}}

{{/* Selector labels of one component; they never change between releases. */}}
{{- define "cluster-proxy.selector" -}}
open-cluster-management.io/addon: cluster-proxy
proxy.open-cluster-management.io/component-name: {{ . }}
{{- end -}}

{{- define "cluster-proxy.containerSecurityContext" -}}
allowPrivilegeEscalation: false
capabilities:
  drop:
    - ALL
privileged: false
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
readOnlyRootFilesystem: true
{{- end -}}

{{- define "cluster-proxy.podScheduling" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Egress rules (list items, indented for a NetworkPolicy spec) to DNS and the API server. */}}
{{- define "cluster-proxy.egressDnsAndApi" }}
    # DNS (53; some distributions use 5353)
    - ports:
        - {protocol: UDP, port: 53}
        - {protocol: TCP, port: 53}
        - {protocol: UDP, port: 5353}
        - {protocol: TCP, port: 5353}
    # The Kubernetes API server
    - ports:
        - {protocol: TCP, port: 443}
        - {protocol: TCP, port: 6443}
{{- end }}

{{/* Cross-field checks the schema cannot express, with messages that say how to fix them. */}}
{{- define "cluster-proxy.validate" -}}
{{- $type := include "cluster-proxy.entrypointType" . -}}
{{- if and (eq $type "LoadBalancerService") .Values.proxyServer.entrypointAddress -}}
{{- fail "proxyServer.entrypointAddress is set but the entrypoint type is LoadBalancerService: agents would dial the load balancer, not the address. Unset one of them." -}}
{{- end -}}
{{- if and (eq $type "PortForward") .Values.proxyServer.entrypointAddress -}}
{{- fail "proxyServer.entrypointAddress is set but the entrypoint type is PortForward: agents dial 127.0.0.1 through a port-forward. Unset one of them." -}}
{{- end -}}
{{- end -}}
