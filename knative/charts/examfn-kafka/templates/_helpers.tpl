{{- define "examfn-kafka.labels" -}}
app.kubernetes.io/part-of: examfn
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* A KafkaTopic's object name: the topic name, lower case, dots kept (valid DNS subdomain). */}}
{{- define "examfn-kafka.topicObject" -}}
{{- . | lower | replace "_" "-" | trunc 253 -}}
{{- end -}}
