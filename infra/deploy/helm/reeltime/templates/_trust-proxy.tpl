{{/*
REELTIME_TRUST_PROXY for ingest: ingest.trustedProxies joined with commas ("false" when the list
is empty). Setting the variable itself (ingest.env or config) is refused, and so is an entry
that would trust every address: X-Forwarded-For from anyone lets any client pick its IP.
*/}}
{{- define "reeltime.trustProxy" -}}
{{- $v := .Values.ingest -}}
{{- if or (hasKey (default dict $v.env) "REELTIME_TRUST_PROXY") (hasKey (default dict .Values.config) "REELTIME_TRUST_PROXY") -}}
{{- fail "REELTIME_TRUST_PROXY is rendered from ingest.trustedProxies (the load balancer's addresses/CIDRs): set that list instead of the variable" -}}
{{- end -}}
{{- range $v.trustedProxies -}}
{{- $p := toString . -}}
{{- if has $p (list "true" "*" "0.0.0.0/0" "::/0") -}}
{{- fail (printf "ingest.trustedProxies: %q would trust X-Forwarded-For from any client; list the load balancer's addresses/CIDRs" $p) -}}
{{- end -}}
{{- if not (regexMatch "^[0-9a-fA-F:.]+(/[0-9]{1,3})?$" $p) -}}
{{- fail (printf "ingest.trustedProxies: %q is not an IP address or CIDR" $p) -}}
{{- end -}}
{{- end -}}
{{- if $v.trustedProxies }}{{ join "," $v.trustedProxies }}{{ else }}false{{ end -}}
{{- end -}}
