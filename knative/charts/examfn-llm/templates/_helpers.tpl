{{/* Common labels. */}}
{{- define "examfn-llm.labels" -}}
app.kubernetes.io/part-of: examfn
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{ include "examfn-llm.selector" . }}
{{- end -}}

{{/* The labels that select the server's pods (Service, PDB, NetworkPolicy). */}}
{{- define "examfn-llm.selector" -}}
app.kubernetes.io/name: {{ .Values.service.name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: llm
{{- end -}}

{{/* The selected profile (.Values.profile), checked. */}}
{{- define "examfn-llm.profile" -}}
{{- $p := index .Values.profiles .Values.profile -}}
{{- if not $p -}}
{{- fail (printf "profile %q is not under profiles (cpu, gpu)" .Values.profile) -}}
{{- end -}}
{{- if not (has $p.server (list "llama.cpp" "vllm")) -}}
{{- fail (printf "profiles.%s.server must be llama.cpp or vllm, got %q" .Values.profile $p.server) -}}
{{- end -}}
{{- toYaml $p -}}
{{- end -}}

{{/* An image reference: repository:tag, with @digest when one is set. Call with (list image what). */}}
{{- define "examfn-llm.image" -}}
{{- $i := index . 0 -}}
{{- $what := index . 1 -}}
{{- if not (and $i.repository $i.tag) -}}
{{- fail (printf "%s: repository and tag are required" $what) -}}
{{- end -}}
{{- if $i.digest -}}
{{- if not (regexMatch "^sha256:[0-9a-f]{64}$" $i.digest) -}}
{{- fail (printf "%s.digest %q is not sha256:<64 hex>" $what $i.digest) -}}
{{- end -}}
{{- printf "%s:%s@%s" $i.repository $i.tag $i.digest -}}
{{- else -}}
{{- printf "%s:%s" $i.repository $i.tag -}}
{{- end -}}
{{- end -}}

{{/* Where the server finds the model: /model/<file>, or /model for a directory. */}}
{{- define "examfn-llm.modelPath" -}}
{{- if .file -}}/model/{{ .file }}{{- else -}}/model{{- end -}}
{{- end -}}

{{/* The server's command and arguments, as a YAML mapping {command, args}. */}}
{{- define "examfn-llm.serverCommand" -}}
{{- $root := index . 0 -}}
{{- $p := index . 1 -}}
{{- $m := $p.model -}}
{{- $port := $root.Values.containerPort | toString -}}
{{- if eq $p.server "llama.cpp" -}}
{{- if not $m.file -}}
{{- fail "llama.cpp serves one GGUF file: model.file is required" -}}
{{- end -}}
{{- if lt (int $p.threads) 1 -}}
{{- fail "threads must be at least 1" -}}
{{- end -}}
command: ["/app/llama-server"]
{{- /* The local platform's arguments (src/llm.rs server_args) with the pod's address. */}}
args:
  - -m
  - {{ include "examfn-llm.modelPath" $m | quote }}
  - --host
  - 0.0.0.0
  - --port
  - {{ $port | quote }}
  - -t
  - {{ $p.threads | toString | quote }}
  - -c
  - {{ $p.contextSize | toString | quote }}
  - -np
  - {{ $p.slots | toString | quote }}
  - --alias
  - {{ $m.name | quote }}
  - --no-webui
{{- else }}
command: ["vllm", "serve"]
args:
  - {{ include "examfn-llm.modelPath" $m | quote }}
  - --served-model-name
  - {{ $m.name | quote }}
  - --host
  - 0.0.0.0
  - --port
  - {{ $port | quote }}
  - --max-model-len
  - {{ $p.contextSize | toString | quote }}
  - --max-num-seqs
  - {{ $p.slots | toString | quote }}
  - --gpu-memory-utilization
  - {{ $p.gpuMemoryUtilization | toString | quote }}
{{- end }}
{{- end -}}
