#!/usr/bin/env bash
# The sigil image without a Docker engine: the packed npm package (client-only install: admission, sign,
# verify; no better-sqlite3 or pkcs11js, so the log's SQLite store and PKCS#11 keys need deploy/Dockerfile's
# image) on a runtime assembled from this machine's own node binary and the libraries it links, as one
# OCI layer, pushed with `sigil load`. Same layout as deploy/Dockerfile (/app, uid 1000, `sigil admission
# serve` on 9443), so the Helm charts run either. Prints the image by digest and writes Helm values
# pinning it (image.repository + image.digest) to <out>/image-values.yaml.
#
#   npm run build && bash deploy/image/build.sh 127.0.0.1:5000/sigil/sigil:0.1.0 [out-dir]
#   sigil sign --yes <the printed image>      # sigil ships signed
set -euo pipefail
target="$1"; out="${2:-build/image}"
repo_root="$(cd "$(dirname "$0")/../.." && pwd)"
sigil=(node "$repo_root/bin/sigil.js")
node_bin="$(readlink -f "$(command -v node)")"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
mkdir -p "$rootfs/app" "$rootfs/usr/local/bin" "$rootfs/etc/ssl/certs" "$rootfs/tmp" "$out"
chmod 1777 "$rootfs/tmp"

# The package, as npm publishes it, with its production dependencies.
tarball="$(cd "$repo_root" && npm pack --ignore-scripts --silent --pack-destination "$work")"
tar -xzf "$work/$tarball" -C "$rootfs/app" --strip-components=1
(cd "$rootfs/app" && npm install --omit=optional --omit=dev --ignore-scripts --no-package-lock --no-audit \
  --no-fund --loglevel=error >&2)

# The runtime: node and the shared libraries it loads (ldd), at their paths; CA certificates for HTTPS
# registries and issuers; a passwd naming uid 1000.
cp "$node_bin" "$rootfs/usr/local/bin/node"
for lib in $(ldd "$node_bin" | grep -o '/[^ ]*'); do
  mkdir -p "$rootfs$(dirname "$lib")" && cp -L "$lib" "$rootfs$lib"
done
cp -L /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnode:x:1000:1000:node:/home/node:/sbin/nologin\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\n' > "$rootfs/etc/group"

OCI_CONFIG='{"Entrypoint":["/usr/local/bin/node","bin/sigil.js","admission","serve"],"Cmd":["--addr","0.0.0.0:9443","--tls-dir","/etc/sigil/tls","--policies","/etc/sigil/policies"],"WorkingDir":"/app","User":"1000:1000","Env":["PATH=/usr/local/bin:/usr/bin:/bin","NODE_ENV=production","SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"],"ExposedPorts":{"9443/tcp":{}}}' \
  sh "$repo_root/docs/ci/build-oci-layout.sh" "$out/oci" "$rootfs" >&2
image="$("${sigil[@]}" load --dir "$out/oci" "$target")"
printf 'image:\n  repository: %s\n  digest: %s\n' "${image%@*}" "${image##*@}" > "$out/image-values.yaml"
echo "$image"
