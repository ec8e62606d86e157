{{/* Names follow `helm create`: 63 characters at most (DNS labels), release name first. */}}
{{- define "sigstore.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sigstore.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 55 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 55 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 55 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The name of one component's objects: <fullname>-<component> (fullname keeps 8 characters free). */}}
{{- define "sigstore.componentName" -}}
{{- printf "%s-%s" (include "sigstore.fullname" .root) .component }}
{{- end }}

{{- define "sigstore.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sigstore.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "sigstore.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "sigstore.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: sigil-sigstore
{{- end }}

{{- define "sigstore.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The pod-level fields every component shares. */}}
{{- define "sigstore.podSpecCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end }}

{{/* Replicas of one component on different nodes where the scheduler can. */}}
{{- define "sigstore.antiAffinity" -}}
affinity:
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              {{- include "sigstore.selectorLabels" . | nindent 14 }}
{{- end }}

{{/* A PVC for one component: persistence {size, storageClass, existingClaim}. */}}
{{- define "sigstore.pvc" -}}
{{- if not .persistence.existingClaim }}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {{ include "sigstore.componentName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "sigstore.labels" . | nindent 4 }}
  annotations:
    # The data outlives an uninstall: a log, a CT log and a TUF repository cannot start over.
    helm.sh/resource-policy: keep
spec:
  accessModes: ["ReadWriteOnce"]
  {{- with .persistence.storageClass }}
  storageClassName: {{ . | quote }}
  {{- end }}
  resources:
    requests:
      storage: {{ .persistence.size }}
{{- end }}
{{- end }}

{{- define "sigstore.claimName" -}}
{{- default (include "sigstore.componentName" .) .persistence.existingClaim }}
{{- end }}

{{/* A PodDisruptionBudget for a component with 2+ replicas (with one, it would only block node drains). */}}
{{- define "sigstore.pdb" -}}
{{- if gt (int .replicas) 1 }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "sigstore.componentName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "sigstore.labels" . | nindent 4 }}
spec:
  minAvailable: {{ .root.Values.podDisruptionBudget.minAvailable }}
  selector:
    matchLabels:
      {{- include "sigstore.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end }}

{{/* The Service of one component: `port` to the container port named `portName` (default http). */}}
{{- define "sigstore.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "sigstore.componentName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "sigstore.labels" . | nindent 4 }}
spec:
  type: {{ .root.Values.service.type }}
  selector:
    {{- include "sigstore.selectorLabels" . | nindent 4 }}
  ports:
    - name: {{ default "http" .portName }}
      port: {{ .port }}
      targetPort: {{ default "http" .portName }}
      protocol: TCP
{{- end }}

{{/*
Prometheus' pod-discovery annotations for a sigil server (metrics.annotations), under a pod template's
metadata.annotations: scrape `port` at /metrics.
*/}}
{{- define "sigstore.metricsAnnotations" -}}
{{- if .root.Values.metrics.annotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .port | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end }}

{{/* The dev OIDC issuer's base URL (oidc.issuerUrl, default its Service): tokens name <it>/<kind>. */}}
{{- define "sigstore.oidcIssuerUrl" -}}
{{- default (printf "http://%s.%s.svc" (include "sigstore.componentName" (dict "root" . "component" "oidc")) .Release.Namespace) .Values.oidc.issuerUrl }}
{{- end }}
