{{- define "examfn-gateway.labels" -}}
app.kubernetes.io/part-of: examfn
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}
