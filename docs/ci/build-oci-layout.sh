#!/bin/sh
# A container build with no Docker engine: packs a directory into a one-layer OCI image layout (gzip tar,
# reproducible: sorted names, mtime 0, root-owned), ready for `sigil load --dir <layout> <image>`. The CI
# examples under docs/ci use it where a real pipeline runs docker/buildah/kaniko; so does the sigil image.
#
#   sh docs/ci/build-oci-layout.sh <layout-dir> <context-dir> [entrypoint...]
#
# OCI_CONFIG, when set, is the image config's "config" object as JSON (Entrypoint, Cmd, WorkingDir, User,
# Env, ExposedPorts) instead of the entrypoint arguments.
set -eu
layout="$1"; context="$2"; shift 2
mkdir -p "$layout/blobs/sha256"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT

tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$context" -cf "$work/layer.tar" .
diff_id="sha256:$(sha256sum "$work/layer.tar" | cut -d' ' -f1)"
gzip -n -c "$work/layer.tar" > "$work/layer.tar.gz"

# blob FILE: stores FILE under blobs/sha256/<hex>; prints "<digest> <size>"
blob() {
  hex="$(sha256sum "$1" | cut -d' ' -f1)"; size="$(wc -c < "$1" | tr -d ' ')"
  cp "$1" "$layout/blobs/sha256/$hex"
  echo "sha256:$hex $size"
}

entrypoint=""
for arg in "$@"; do entrypoint="$entrypoint${entrypoint:+,}\"$arg\""; done
set -- $(blob "$work/layer.tar.gz"); layer_digest="$1"; layer_size="$2"
config="${OCI_CONFIG:-}"
[ -n "$config" ] || config="{\"Entrypoint\":[$entrypoint]}"
printf '{"architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
  "$config" "$diff_id" > "$work/config.json"
set -- $(blob "$work/config.json"); config_digest="$1"; config_size="$2"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s}]}' \
  "$config_digest" "$config_size" "$layer_digest" "$layer_size" > "$work/manifest.json"
set -- $(blob "$work/manifest.json"); manifest_digest="$1"; manifest_size="$2"
printf '{"imageLayoutVersion":"1.0.0"}' > "$layout/oci-layout"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s}]}' \
  "$manifest_digest" "$manifest_size" > "$layout/index.json"
echo "$manifest_digest"
