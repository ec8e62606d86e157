#!/usr/bin/env bash
# Installs the pinned real tools that the interop tests run against (versions in versions.env) into a
# cache outside the clone, ~/.cache/sigil/peers/<name>-<version>/ (or $SIGIL_PEERS_DIR), and reuses what is
# already there, so a machine that built them once pays nothing. Runnable by hand; .ci/run calls it.
#
#   bash test/peers/install.sh             # every peer
#   bash test/peers/install.sh cosign-v3   # only the named ones
#
# Each peer is built into a temporary folder and moved into place only when complete, so an interrupted
# build is redone rather than half-used.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
PEERS_DIR="${SIGIL_PEERS_DIR:-$HOME/.cache/sigil/peers}"
CONFORMANCE_SRC="${SIGIL_CONFORMANCE_DIR:-$HERE/../../../shared/fixtures/sigstore-conformance}"
mkdir -p "$PEERS_DIR"
# shellcheck source=versions.env
source "$HERE/versions.env"

SELECTED=("$@")
log() { printf '[peers] %s\n' "$*" >&2; }
selected() {
  [ ${#SELECTED[@]} -eq 0 ] && return 0
  local name
  for name in "${SELECTED[@]}"; do [ "$name" = "$1" ] && return 0; done
  return 1
}

# install_peer NAME VERSION FUNCTION: runs FUNCTION TMPDIR unless NAME-VERSION is already cached.
install_peer() {
  local name="$1" version="$2" build="$3" dir="$PEERS_DIR/$1-$2"
  selected "$name" || return 0
  if [ -d "$dir" ]; then log "$name $version: cached in $dir"; return 0; fi
  local start=$SECONDS tmp="$dir.partial"
  rm -rf "$tmp" && mkdir -p "$tmp"
  log "$name $version: installing"
  "$build" "$tmp" "$version"
  mv "$tmp" "$dir"
  log "$name $version: installed in $((SECONDS - start)) s"
}

# go_install DIR PACKAGE@VERSION: a static binary in DIR/bin.
go_install() { GOBIN="$1/bin" CGO_ENABLED=0 go install -trimpath -ldflags=-s "$2"; }

build_cosign_v3() { go_install "$1" "github.com/sigstore/cosign/v3/cmd/cosign@$2"; }
build_cosign_v2() { go_install "$1" "github.com/sigstore/cosign/v2/cmd/cosign@$2"; }
build_rekor_cli() { go_install "$1" "github.com/sigstore/rekor/cmd/rekor-cli@$2"; }

# Python peers live in their own virtual environments (their pins would conflict with each other).
build_sigstore_python() {
  python3 -m venv "$1/venv"
  "$1/venv/bin/pip" install -q --disable-pip-version-check "sigstore==$2"
  mkdir -p "$1/bin" && ln -s ../venv/bin/sigstore "$1/bin/sigstore"
}
build_conformance() {
  python3 -m venv "$1/venv"
  "$1/venv/bin/pip" install -q --disable-pip-version-check -r "$CONFORMANCE_SRC/requirements.txt"
  mkdir -p "$1/bin" && ln -s ../venv/bin/pytest "$1/bin/pytest"
}

install_peer cosign-v3 "$COSIGN_V3" build_cosign_v3
install_peer cosign-v2 "$COSIGN_V2" build_cosign_v2
install_peer rekor-cli "$REKOR_CLI" build_rekor_cli
install_peer sigstore-python "$SIGSTORE_PYTHON" build_sigstore_python
install_peer conformance "$CONFORMANCE" build_conformance

# Kyverno CLI: upstream's module has `replace` directives, so `go install` refuses it; the wrapper module in
# test/peers/kyverno requires it at KYVERNO (its go.mod/go.sum pin every dependency, the same as upstream's).
build_kyverno() {
  [ "$(sed -n 's#^require github.com/kyverno/kyverno ##p' "$HERE/kyverno/go.mod")" = "$2" ] \
    || { log "kyverno: test/peers/kyverno/go.mod does not require $2 (versions.env)"; return 1; }
  (cd "$HERE/kyverno" && CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath -ldflags=-s \
    -o "$1/bin/kubectl-kyverno" .)
  ln -s kubectl-kyverno "$1/bin/kyverno"
}
# policy-controller's tester is a main package (nothing to import) in a module with `replace` directives:
# build it inside upstream's own module, verified against the checksum database, with upstream's go.sum.
build_policy_tester() {
  local src
  src="$(cd "$1" && go mod download -json "github.com/sigstore/policy-controller@$2" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  (cd "$src" && CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath -ldflags=-s -o "$1/bin/tester" ./cmd/tester)
}
install_peer kyverno "$KYVERNO" build_kyverno
install_peer policy-tester "$POLICY_TESTER" build_policy_tester
