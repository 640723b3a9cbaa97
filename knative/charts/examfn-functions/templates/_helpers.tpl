{{/* Common labels. */}}
{{- define "examfn.labels" -}}
app.kubernetes.io/part-of: examfn
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The image reference, pinned by digest. */}}
{{- define "examfn.image" -}}
{{- $digest := required "image.digest is required (sha256:<64 hex> of the released image)" .Values.image.digest -}}
{{- if not (regexMatch "^sha256:[0-9a-f]{64}$" $digest) -}}
{{- fail (printf "image.digest %q is not sha256:<64 hex>" $digest) -}}
{{- end -}}
{{- printf "%s:%s@%s" .Values.image.repository .Values.image.tag $digest -}}
{{- end -}}

{{/* A function's settings: the defaults overridden by its own block. Call with (list $ name). */}}
{{- define "examfn.fn" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $fn := index $root.Values.functions $name -}}
{{- toYaml (mergeOverwrite (deepCopy $root.Values.defaults) (deepCopy $fn)) -}}
{{- end -}}

{{/* Name of the KafkaSink that receives a topic's dead letters. */}}
{{- define "examfn.dlqSinkName" -}}
{{- printf "%s-dlq" (. | replace "." "-") | trunc 63 | trimSuffix "-" -}}
{{- end -}}
