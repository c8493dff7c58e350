{{/* Only Go text/template built-ins here and in every template (no Sprig): see values.yaml. */}}
{{- define "de.fullname" -}}
{{- if .Values.fullnameOverride -}}{{ .Values.fullnameOverride }}{{- else -}}{{ .Release.Name }}-{{ .Chart.Name }}{{- end -}}
{{- end -}}

{{/* Labels as a one-line flow mapping, so that they fit at any indentation. */}}
{{- define "de.selectorLabels" -}}
{"app.kubernetes.io/name": {{ printf "%q" .Chart.Name }}, "app.kubernetes.io/instance": {{ printf "%q" .Release.Name }}}
{{- end -}}

{{- define "de.labels" -}}
{"app.kubernetes.io/name": {{ printf "%q" .Chart.Name }}, "app.kubernetes.io/instance": {{ printf "%q" .Release.Name }}, "app.kubernetes.io/version": {{ printf "%q" .Chart.AppVersion }}, "app.kubernetes.io/managed-by": {{ printf "%q" .Release.Service }}, "helm.sh/chart": {{ printf "%q" (printf "%s-%s" .Chart.Name .Chart.Version) }}}
{{- end -}}

{{- define "de.image" -}}
{{ printf "%q" (printf "%s:%s" .Values.image.repository .Values.image.tag) }}
{{- end -}}

{{/* Blocks: each starts with a new line at its indentation; use as `key:{{- template "x" . }}`. */}}
{{/* The secret settings every pod and the migration Job read (a container's env). */}}
{{- define "de.secretEnv" }}
            - name: DE_DATABASE_URL
              valueFrom:
                secretKeyRef:
{{- if .Values.database.existingSecret }}
                  name: {{ .Values.database.existingSecret }}
                  key: {{ .Values.database.existingSecretKey }}
{{- else }}
                  name: {{ template "de.fullname" . }}
                  key: database-url
{{- end }}
            - name: DE_JWT_SECRET
              valueFrom:
                secretKeyRef:
                  name: {{ .Values.secrets.existingSecret }}
                  key: {{ .Values.secrets.jwtSecretKey }}
            - name: DE_MASTER_KEY
              valueFrom:
                secretKeyRef:
                  name: {{ .Values.secrets.existingSecret }}
                  key: {{ .Values.secrets.masterKeyKey }}
{{- end -}}

{{- define "de.securityContext" }}
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
{{- end -}}

{{- define "de.podSecurityContext" }}
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
        fsGroup: 10001
        seccompProfile: {type: RuntimeDefault}
{{- end -}}
