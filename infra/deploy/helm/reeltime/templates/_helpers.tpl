{{/* Name prefix of every object: the release name, cut to fit DNS labels. */}}
{{- define "reeltime.fullname" -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "reeltime.labels" -}}
app.kubernetes.io/name: reeltime
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/component: {{ .component }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "reeltime.selector" -}}
app.kubernetes.io/name: reeltime
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* image reference of a role: ingest, process or pipeline */}}
{{- define "reeltime.image" -}}
{{- $img := index .root.Values.images .role -}}
{{- printf "%s:%s" $img.repository (default .root.Chart.AppVersion $img.tag) -}}
{{- end -}}

{{- define "reeltime.secretName" -}}
{{- if .Values.secrets.create -}}{{ include "reeltime.fullname" . }}-secrets{{- else -}}{{ required "secrets.existingSecret is required when secrets.create is false" .Values.secrets.existingSecret }}{{- end -}}
{{- end -}}

{{/* Service account name of a component (the CDK stack binds its IAM role to this name). */}}
{{- define "reeltime.serviceAccount" -}}
reeltime-{{ . }}
{{- end -}}

{{/*
Environment of a container: the shared ConfigMap, then secrets by key (optional, so unset
keys are not passed). Only ingest gets the write keys, read tokens and the rate-limit store URL.
*/}}
{{- define "reeltime.env" -}}
{{- $secret := include "reeltime.secretName" .root -}}
envFrom:
  - configMapRef:
      name: {{ include "reeltime.fullname" .root }}-config
env:
  - name: REELTIME_DATA_DIR
    value: /var/lib/reeltime
{{- $keys := list "REELTIME_ES_API_KEY" "REELTIME_ES_USERNAME" "REELTIME_ES_PASSWORD" "REELTIME_KAFKA_SASL_USERNAME" "REELTIME_KAFKA_SASL_PASSWORD" "REELTIME_PG_URL" "REELTIME_SMTP_URL" }}
{{- if .auth }}{{ $keys = concat $keys (list "REELTIME_WRITE_KEYS" "REELTIME_READ_TOKENS" "REELTIME_REDIS_URL") }}{{ end }}
{{- if .writeKeys }}{{ $keys = append $keys "REELTIME_WRITE_KEYS" }}{{ end }}
{{- range $keys }}
  - name: {{ . }}
    valueFrom:
      secretKeyRef:
        name: {{ $secret }}
        key: {{ . }}
        optional: true
{{- end }}
{{- range $k, $v := .extra }}
  - name: {{ $k }}
    value: {{ $v | quote }}
{{- end }}
{{- end -}}

{{/* Pod-level settings shared by every workload. */}}
{{- define "reeltime.podCommon" -}}
serviceAccountName: {{ include "reeltime.serviceAccount" .component }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .root.Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if .root.Values.topologySpread }}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "reeltime.selector" . | nindent 8 }}
{{- end }}
{{- end -}}

{{- define "reeltime.scrapeAnnotations" -}}
{{- if .root.Values.metrics.annotations -}}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .port | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end -}}

{{/* Volumes every container writes to: the root filesystem is read-only. */}}
{{- define "reeltime.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: data
  mountPath: /var/lib/reeltime
{{- end -}}
{{- define "reeltime.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .tmpSize | default "1Gi" }}
- name: data
{{- if .root.Values.dataVolume.existingClaim }}
  persistentVolumeClaim:
    claimName: {{ .root.Values.dataVolume.existingClaim }}
{{- else }}
  emptyDir:
    sizeLimit: 1Gi
{{- end }}
{{- end -}}
