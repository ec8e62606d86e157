#!/bin/sh
# The deployer's check (a Jenkins deploy stage, an Argo CD pre-sync hook, a Tekton task before kubectl apply):
# the image's signature and its SBOM attestation, both from the pipeline's identity.
#
#   SIGIL_IDENTITY=... SIGIL_OIDC_ISSUER=... sh verify.sh registry.internal/team/app@sha256:...
set -eu
: "${SIGIL_IDENTITY:?}" "${SIGIL_OIDC_ISSUER:?}"
image="$1"
sigil verify --certificate-identity "$SIGIL_IDENTITY" --certificate-oidc-issuer "$SIGIL_OIDC_ISSUER" "$image" > /dev/null
sigil verify-attestation --type spdxjson \
  --certificate-identity "$SIGIL_IDENTITY" --certificate-oidc-issuer "$SIGIL_OIDC_ISSUER" "$image" > /dev/null
echo "verified: $image (signed and SBOM-attested by $SIGIL_IDENTITY)"
