{{/* Name prefix of every object. */}}
{{- define "apim.fullname" -}}
{{- default (printf "%s-%s" .Release.Name .Chart.Name) .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{/* The control-plane services: values key -> object name, Python package, whether it owns a database. */}}
{{- define "apim.components" -}}
keyManager: {name: key-manager, package: apim_key_manager, database: true}
admin: {name: admin, package: apim_admin, database: true}
publisher: {name: publisher, package: apim_publisher, database: true}
devportal: {name: devportal, package: apim_devportal, database: true}
throttleSync: {name: throttle-sync, package: apim_throttle_sync, database: false}
analytics: {name: analytics, package: apim_analytics, database: true}
portals: {name: portals, package: apim_portals, database: false}
{{- end -}}

{{- define "apim.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "key-manager"). */}}
{{- define "apim.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "apim.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "apim.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{ default (include "apim.fullname" .) .Values.serviceAccount.name }}
{{- else -}}
{{ default "default" .Values.serviceAccount.name }}
{{- end -}}
{{- end -}}

{{- define "apim.secretName" -}}
{{ include "apim.fullname" . }}-secrets
{{- end -}}

{{/* URL of one control-plane service inside the cluster. */}}
{{- define "apim.serviceUrl" -}}
http://{{ include "apim.fullname" .root }}-{{ .name }}:{{ .port }}
{{- end -}}

{{/* The headless Service that gives each throttle-sync replica its own DNS name (keys by replica). */}}
{{- define "apim.throttleSyncReplicas" -}}
{{ include "apim.fullname" . }}-throttle-sync-replicas
{{- end -}}

{{/* What gateways call for leases: the throttle-sync Service, or with keys by replica every replica's
own address (comma-separated; each gateway sends a key to its owner among them). */}}
{{- define "apim.throttleSyncUrl" -}}
{{- $ts := .Values.services.throttleSync -}}
{{- if $ts.leases.keysByReplica -}}
{{- $name := printf "%s-throttle-sync" (include "apim.fullname" .) -}}
{{- $headless := include "apim.throttleSyncReplicas" . -}}
{{- $urls := list -}}
{{- range $i := until (int $ts.replicas) -}}
{{- $urls = append $urls (printf "http://%s-%d.%s.%s.svc:%v" $name $i $headless $.Release.Namespace $ts.port) -}}
{{- end -}}
{{- join "," $urls -}}
{{- else -}}
{{- include "apim.serviceUrl" (dict "root" . "name" "throttle-sync" "port" $ts.port) -}}
{{- end -}}
{{- end -}}

{{/* A secretKeyRef env entry: (dict "name" ENV "existing" NAME "key" KEY "root" $ "ownKey" KEY). */}}
{{- define "apim.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ default (include "apim.secretName" .root) .existing }}
      key: {{ if .existing }}{{ .key }}{{ else }}{{ .ownKey }}{{ end }}
{{- end -}}

{{/* Settings every process receives; secrets come from Secrets, the rest from the ConfigMap. */}}
{{- define "apim.commonEnv" -}}
{{- $root := . -}}
{{ include "apim.secretEnv" (dict "name" "APIM_SECRET_KEY" "existing" .Values.secretKey.existingSecret "key" .Values.secretKey.key "ownKey" "secret-key" "root" $root) }}
{{- if .Values.kafka.sasl.mechanism }}
{{ include "apim.secretEnv" (dict "name" "APIM_KAFKA_SASL_PASSWORD" "existing" .Values.kafka.sasl.existingSecret "key" .Values.kafka.sasl.passwordKey "ownKey" "kafka-password" "root" $root) }}
{{- end }}
{{- end -}}

{{/* Database settings of one service: (dict "root" $ "database" NAME). */}}
{{- define "apim.databaseEnv" -}}
{{- $pg := .root.Values.postgres -}}
{{ include "apim.secretEnv" (dict "name" "APIM_POSTGRES_PASSWORD" "existing" $pg.existingSecret "key" $pg.passwordKey "ownKey" "postgres-password" "root" .root) }}
- name: APIM_DATABASE_URL
  value: {{ printf "postgresql+asyncpg://%s:$(APIM_POSTGRES_PASSWORD)@%s:%v/%s%s" $pg.user $pg.host $pg.port .database (ternary "" (printf "?ssl=%s" $pg.sslMode) (eq $pg.sslMode "disable")) | quote }}
{{- end -}}
