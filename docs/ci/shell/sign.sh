#!/bin/sh
# The signing stage of a pipeline that only has a shell (a Jenkins `sh` step, a Tekton task, Buildkite,
# Drone): install sigil client-only, build and push, sign and attest keyless, verify as the deployer will.
#
# In:  IMAGE_REPO         where to push, e.g. registry.internal/team/app
#      SIGSTORE_ID_TOKEN  the job's OIDC token, audience sigstore (Jenkins: an OIDC credential binding;
#                         Tekton: a projected service-account token; Buildkite: buildkite-agent oidc request-token)
#      SIGIL_IDENTITY, SIGIL_OIDC_ISSUER   what that token's certificate names, for the final check
#      SIGIL_VERSION (0.1.0) or SIGIL_PACKAGE (any npm spec); SIGIL_TRUSTED_ROOT / SIGIL_SIGNING_CONFIG for a
#      private Sigstore
# Out: the signed image by digest on stdout (and in signed-image.txt).
set -eu
: "${IMAGE_REPO:?}" "${SIGSTORE_ID_TOKEN:?}" "${SIGIL_IDENTITY:?}" "${SIGIL_OIDC_ISSUER:?}"
here="$(cd "$(dirname "$0")" && pwd)"

if [ ! -x .sigil-cli/node_modules/.bin/sigil ]; then
  mkdir -p .sigil-cli && echo '{"name":"sigil-cli","private":true}' > .sigil-cli/package.json
  npm install --prefix .sigil-cli --omit=optional --no-audit --no-fund --loglevel=error \
    "${SIGIL_PACKAGE:-sigil@${SIGIL_VERSION:-0.1.0}}" >&2
fi
PATH="$PWD/.sigil-cli/node_modules/.bin:$PATH"

# Build and push (stands for docker/kaniko/buildah), then sign what was pushed, by digest.
sh "$here/../build-oci-layout.sh" build/oci app /app/hello >&2
image="$(sigil load --dir build/oci "$IMAGE_REPO:${BUILD_TAG:-latest}")"
sigil sign --yes "$image" >&2
sigil sbom -o spdx-json --output-file sbom.spdx.json "$image" >&2
sigil attest --yes --type spdxjson --predicate sbom.spdx.json "$image" >&2

# The deployer's check, run here too so a pipeline never hands on an image it could not verify.
sh "$here/verify.sh" "$image" >&2
echo "$image" | tee signed-image.txt
