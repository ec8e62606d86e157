{{/* Names follow `helm create`: 63 characters at most (DNS labels), release name first. */}}
{{- define "sigil.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sigil.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "sigil.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "sigil.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: admission-webhook
{{- end }}

{{- define "sigil.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sigil.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "sigil.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sigil.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "sigil.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "sigil.fullname" .)) .Values.tls.existingSecret }}
{{- end }}

{{- define "sigil.policiesConfigMapName" -}}
{{- default (printf "%s-policies" (include "sigil.fullname" .)) .Values.policies.existingConfigMap }}
{{- end }}

{{- define "sigil.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* kube-system and the release's own namespace always, so the webhook can never block its own pods. */}}
{{- define "sigil.namespaceSelector" -}}
matchExpressions:
  - key: kubernetes.io/metadata.name
    operator: NotIn
    values:
      {{- range concat .Values.webhook.excludedNamespaces (list "kube-system" .Release.Namespace) | uniq }}
      - {{ . | quote }}
      {{- end }}
{{- end }}

{{/* Kyverno's path suffixes tell the webhook which failurePolicy the API server applies. */}}
{{- define "sigil.webhookPathSuffix" -}}
{{- .Values.webhook.failurePolicy | lower }}
{{- end }}

{{/* Pods and every pod controller sigil's policies autogen rules for, on create and update. */}}
{{- define "sigil.webhookRules" -}}
- apiGroups: [""]
  apiVersions: ["v1"]
  operations: ["CREATE", "UPDATE"]
  resources: ["pods", "replicationcontrollers"]
  scope: Namespaced
- apiGroups: ["apps"]
  apiVersions: ["v1"]
  operations: ["CREATE", "UPDATE"]
  resources: ["deployments", "statefulsets", "daemonsets", "replicasets"]
  scope: Namespaced
- apiGroups: ["batch"]
  apiVersions: ["v1"]
  operations: ["CREATE", "UPDATE"]
  resources: ["jobs", "cronjobs"]
  scope: Namespaced
{{- with .Values.webhook.extraRules }}
{{ toYaml . }}
{{- end }}
{{- end }}
