{{/*
Value combinations that render but cannot work, refused with what to set. Every component template
includes this first, so the same (first) message comes out whichever template Helm renders first.
*/}}
{{- define "sigstore.validate" -}}
{{- $v := .Values }}
{{- if $v.ca.enabled }}
{{- if not $v.ca.existingSecret }}
{{- fail "ca.existingSecret: name the Secret holding the files of `sigil ca init` (chain.pem, intermediate-key.pem, ctlog-key.pem)" }}
{{- end }}
{{- $ctDb := or $v.ca.ctLog.database.url $v.ca.ctLog.database.existingSecret }}
{{- if and (not $v.ca.ctLog.url) (not $ctDb) (gt (int $v.ca.replicaCount) 1) }}
{{- fail "ca.replicaCount > 1 needs ca.ctLog.database (or ca.ctLog.url): the embedded CT log is a SQLite file per pod, replicas would keep diverging logs under one key" }}
{{- end }}
{{- if and $v.ca.ctLog.url $ctDb }}
{{- fail "ca.ctLog.url and ca.ctLog.database exclude each other: the CA logs to an external CT log or runs its own" }}
{{- end }}
{{- if and $v.ca.pkcs11.configSecret (not $v.ca.pkcs11.hsmCarootId) }}
{{- fail "ca.pkcs11.configSecret needs ca.pkcs11.hsmCarootId (the CKA_ID of the CA certificate on the token)" }}
{{- end }}
{{- end }}
{{- if $v.tlog.enabled }}
{{- $postgres := or $v.tlog.database.url $v.tlog.database.existingSecret $v.postgresql.enabled }}
{{- if and $v.postgresql.enabled (or $v.tlog.database.url $v.tlog.database.existingSecret) }}
{{- fail "postgresql.enabled and tlog.database both name the log's database: keep one" }}
{{- end }}
{{- if and (gt (int $v.tlog.replicaCount) 1) (not $postgres) }}
{{- fail "tlog.replicaCount > 1 needs tlog.database or postgresql.enabled (PostgreSQL): SQLite is one file on one pod's volume" }}
{{- end }}
{{- if and $postgres (not $v.tlog.key.existingSecret) }}
{{- fail "tlog.database (or postgresql.enabled) needs tlog.key.existingSecret: without a volume each pod would create a key of its own (sigil tlog init)" }}
{{- end }}
{{- end }}
{{- if and $v.tsa.enabled (not $v.tsa.existingSecret) }}
{{- fail "tsa.existingSecret: name the Secret holding the TSA's chain.pem and key.pem (made by `sigil tsa serve --data-dir DIR` on first start, or your own)" }}
{{- end }}
{{- if and $v.tuf.enabled (not $v.tuf.keys.existingSecret) }}
{{- fail "tuf.keys.existingSecret: name the Secret holding the online TUF keys (targets.pem, snapshot.pem, timestamp.pem of `sigil tuf init`)" }}
{{- end }}
{{- end }}
