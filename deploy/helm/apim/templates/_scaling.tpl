{{/* HorizontalPodAutoscaler and PodDisruptionBudget of one Deployment: (dict "root" $ "name" N "spec" VALUES). */}}
{{- define "apim.scaling" -}}
{{- if .spec.autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "apim.fullname" .root }}-{{ .name }}
  labels:
    {{- include "apim.labels" .root | nindent 4 }}
    app.kubernetes.io/component: {{ .name }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "apim.fullname" .root }}-{{ .name }}
  minReplicas: {{ .spec.autoscaling.minReplicas }}
  maxReplicas: {{ .spec.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ .spec.autoscaling.targetCPUUtilizationPercentage }}
{{- end }}
{{- if .spec.pdb.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "apim.fullname" .root }}-{{ .name }}
  labels:
    {{- include "apim.labels" .root | nindent 4 }}
    app.kubernetes.io/component: {{ .name }}
spec:
  minAvailable: {{ .spec.pdb.minAvailable }}
  selector:
    matchLabels:
      {{- include "apim.selectorLabels" (dict "root" .root "component" .name) | nindent 6 }}
{{- end }}
{{- end -}}
