#!/usr/bin/env bash
# Installs the pinned real tools that the interop tests run against (versions in versions.env) into a
# cache outside the clone, ~/.cache/sigil/peers/<name>-<version>/ (or $SIGIL_PEERS_DIR), and reuses what is
# already there, so a machine that built them once pays nothing. Runnable by hand; .ci/run calls it.
#
#   bash test/peers/install.sh             # every peer the tests use
#   bash test/peers/install.sh tessera rekor-tiles   # the bench-only ones (bench tlog) are built only when named
#   bash test/peers/install.sh cosign-v3   # only the named ones
#
# A peer's folder counts only once its build has finished and written the .installed marker, so an
# interrupted build is redone rather than half-used. (Built in place: Python virtual environments cannot move.)
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

# install_peer NAME VERSION FUNCTION: runs FUNCTION DIR VERSION unless NAME-VERSION is already installed.
install_peer() {
  local name="$1" version="$2" build="$3" dir="$PEERS_DIR/$1-$2"
  selected "$name" || return 0
  if [ -e "$dir/.installed" ]; then log "$name $version: cached in $dir"; return 0; fi
  local start=$SECONDS
  rm -rf "$dir" && mkdir -p "$dir"
  log "$name $version: installing"
  "$build" "$dir" "$version"
  touch "$dir/.installed"
  log "$name $version: installed in $((SECONDS - start)) s"
}

# go_install DIR PACKAGE@VERSION: a static binary in DIR/bin.
# GOTOOLCHAIN=auto: a peer whose go.mod asks for a newer Go than the machine's (rekor-cli v1.6.5 wants 1.27)
# gets that toolchain from the Go module proxy, as the go command does by default.
go_install() { GOBIN="$1/bin" CGO_ENABLED=0 GOTOOLCHAIN=auto go install -trimpath -ldflags=-s "$2"; }

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

# The transparency logs that bench tlog runs beside sigil's. No test needs them, so they are built only when
# named (bash test/peers/install.sh tessera rekor-tiles), not by the bare call CI makes. Both upstream commands
# are called `posix`, so each binary is renamed after its peer. Neither go.mod has `replace` directives.
build_tessera() {
  go_install "$1" "github.com/transparency-dev/tessera/cmd/conformance/posix@$2"
  mv "$1/bin/posix" "$1/bin/tessera-posix"
}
build_rekor_tiles() {
  go_install "$1" "github.com/sigstore/rekor-tiles/v2/cmd/rekor-server/posix@$2"
  mv "$1/bin/posix" "$1/bin/rekor-server-posix"
}
if [ ${#SELECTED[@]} -gt 0 ]; then
  install_peer tessera "$TESSERA" build_tessera
  install_peer rekor-tiles "$REKOR_TILES" build_rekor_tiles
fi
install_peer sigstore-python "$SIGSTORE_PYTHON" build_sigstore_python
install_peer conformance "$CONFORMANCE" build_conformance

# --- Kubernetes control plane (etcd, kube-apiserver + kubectl) and helm, for the webhook interop tests ---
# etcd and kubernetes refuse `go install` (their go.mod files replace sibling modules with local paths), so
# each is built from a wrapper module in this folder whose go.mod requires the published modules; the
# version in versions.env must be the one that go.mod requires.
# go_build_wrapper DIR VERSION WRAPPER MODULE LDFLAGS PACKAGE...: static binaries of the wrapper's packages.
go_build_wrapper() {
  local out="$1" version="$2" wrapper="$HERE/$3" module="$4" ldflags="$5" required
  shift 5
  required="$(cd "$wrapper" && GOFLAGS=-mod=mod go list -m -f '{{.Version}}' "$module")"
  if [ "$required" != "$version" ]; then
    log "$wrapper/go.mod requires $module $required, but versions.env pins $version"
    return 1
  fi
  (cd "$wrapper" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags="-s $ldflags" -o "$out/bin/" "$@")
}
build_etcd() { go_build_wrapper "$1" "$2" etcd go.etcd.io/etcd/server/v3 "" .; }
# The version the binaries report (kubectl version, the API server's /version) is stamped as upstream's
# build does; without it both say v0.0.0.
build_kubernetes() {
  local minor="${2#v1.}" stamp="" pkg
  minor="${minor%%.*}"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    stamp="$stamp -X $pkg.gitVersion=$2 -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  done
  go_build_wrapper "$1" "$2" kubernetes k8s.io/kubernetes "$stamp" ./kube-apiserver ./kubectl
}
build_helm() { go_install "$1" "helm.sh/helm/v4/cmd/helm@$2"; }

install_peer etcd "$ETCD" build_etcd
install_peer kubernetes "$KUBERNETES" build_kubernetes
install_peer helm "$HELM" build_helm
# --- end of the Kubernetes control plane block ---

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

# --- Notation (Notary Project) CLI, for the Notation interop tests and bench notation ---
# `go install pkg@version` fails here: it asks the proxy for the module's version list (deprecation check),
# which the proxy refuses, so the command is built inside the downloaded module (checked against the checksum
# database), with upstream's go.sum; BuildMetadata is emptied as upstream's release build does.
build_notation() {
  local src
  src="$(cd "$1" && go mod download -json "github.com/notaryproject/notation@$2" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  (cd "$src" && CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath -ldflags="-s -X github.com/notaryproject/notation/internal/version.BuildMetadata=" \
    -o "$1/bin/notation" ./cmd/notation)
}
install_peer notation "$NOTATION" build_notation
# --- end of the Notation block ---
