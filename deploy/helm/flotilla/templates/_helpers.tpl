{{- define "flotilla.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "flotilla.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: "api" or "worker-<role>". */}}
{{- define "flotilla.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "flotilla.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "flotilla.secretName" -}}
{{- required "existingSecret: the name of a Secret holding FLOTILLA_API_TOKENS, FLOTILLA_CODEC_KEYS and FLOTILLA_SECRET_KEY" .Values.existingSecret -}}
{{- end -}}

{{/* A key of the existing Secret as an environment variable. */}}
{{- define "flotilla.secretEnv" -}}
- name: {{ .key }}
  valueFrom:
    secretKeyRef:
      name: {{ include "flotilla.secretName" .root }}
      key: {{ .key }}
      {{- if .optional }}
      optional: true
      {{- end }}
{{- end -}}

{{/* What the API and every worker share: Temporal, the codec and secret-store keys, logs, the data directory. */}}
{{- define "flotilla.commonEnv" -}}
- name: TEMPORAL_ADDRESS
  value: {{ required "temporal.address: Temporal's frontend (host:port)" .Values.temporal.address | quote }}
- name: TEMPORAL_NAMESPACE
  value: {{ .Values.temporal.namespace | quote }}
{{- with .Values.temporal.tls }}
{{- if .enabled }}
- name: TEMPORAL_TLS
  value: "true"
{{- if .existingSecret }}
- name: TEMPORAL_TLS_SERVER_CA_CERT_PATH
  value: /etc/flotilla/temporal-tls/ca.crt
- name: TEMPORAL_TLS_CLIENT_CERT_PATH
  value: /etc/flotilla/temporal-tls/tls.crt
- name: TEMPORAL_TLS_CLIENT_KEY_PATH
  value: /etc/flotilla/temporal-tls/tls.key
{{- end }}
{{- if .serverName }}
- name: TEMPORAL_TLS_SERVER_NAME
  value: {{ .serverName | quote }}
{{- end }}
{{- end }}
{{- end }}
{{ include "flotilla.secretEnv" (dict "root" . "key" "TEMPORAL_API_KEY" "optional" true) }}
{{ include "flotilla.secretEnv" (dict "root" . "key" "FLOTILLA_CODEC_KEYS") }}
{{ include "flotilla.secretEnv" (dict "root" . "key" "FLOTILLA_SECRET_KEY") }}
{{ include "flotilla.secretEnv" (dict "root" . "key" "FLOTILLA_METRICS_TOKEN" "optional" true) }}
- name: FLOTILLA_DATA_DIR
  value: /data
- name: LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- end -}}

{{- define "flotilla.volumeMounts" -}}
- name: data
  mountPath: /data
{{- if and .Values.temporal.tls.enabled .Values.temporal.tls.existingSecret }}
- name: temporal-tls
  mountPath: /etc/flotilla/temporal-tls
  readOnly: true
{{- end }}
{{- end -}}

{{- define "flotilla.volumes" -}}
- name: data
{{- if .Values.persistence.enabled }}
  persistentVolumeClaim:
    claimName: {{ .Values.persistence.existingClaim | default (printf "%s-data" (include "flotilla.fullname" .)) }}
{{- else }}
  emptyDir: {}
{{- end }}
{{- if and .Values.temporal.tls.enabled .Values.temporal.tls.existingSecret }}
- name: temporal-tls
  secret:
    secretName: {{ .Values.temporal.tls.existingSecret }}
{{- end }}
{{- end -}}

{{- define "flotilla.podSpecCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
volumes:
  {{- include "flotilla.volumes" . | nindent 2 }}
{{- end -}}
