#!/usr/bin/env bash
# Installs Flotilla's pinned toolchain (tools/versions.json) into one folder per
# tool and version under $FLOTILLA_TOOLS (default ~/.cache/flotilla/tools), so a
# second run is instant and a fresh machine builds once. Safe to run repeatedly
# and concurrently (a lock serialises installers).
#
# Order of preference for each tool: already cached; on PATH at the pinned
# version (linked into the cache); built from the Go module proxy; downloaded
# from the project's release page (only when there is no Go toolchain).
#
# With no arguments it installs what `npm run test:suite` needs; name tools to install
# only those, e.g. `install-tools.sh helm kwok` (the Dockerfile) or
# `install-tools.sh temporal-server postgresql` (`npm run test:postgres`).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
tools=${FLOTILLA_TOOLS:-$HOME/.cache/flotilla/tools}
mkdir -p "$tools"

version() { node -p "require('$repo/tools/versions.json')['$1']"; }
TEMPORAL=$(version temporal)
KWOK=$(version kwok)
HELM=$(version helm)
KUBE=$(version kubernetes)
KUBE_PREVIOUS=$(version kubernetes-previous)
ETCD=$(version etcd)
MOTO=$(version moto)
TEMPORAL_SERVER=$(version temporal-server)
SCHEMATHESIS=$(version schemathesis)

log() { printf '[tools] %s\n' "$*" >&2; }

# Runs a long command, printing a line every 30 s so a first build on a slow
# machine visibly makes progress instead of looking hung.
with_progress() {
  local what=$1; shift
  local start=$SECONDS
  log "$what: started (first build takes minutes; cached afterwards)"
  "$@" &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    if (( (SECONDS - start) % 30 < 5 )) && kill -0 "$pid" 2>/dev/null; then
      log "$what: still working ($((SECONDS - start)) s)"
    fi
  done
  wait "$pid" || { log "$what: FAILED"; return 1; }
  log "$what: done in $((SECONDS - start)) s"
}

# Links a tool from PATH into the cache when it reports the pinned version.
from_path() { # <binary> <dest-dir> <version> <version-args...>
  local bin=$1 dest=$2 want=$3; shift 3
  local found
  found=$(command -v "$bin" 2>/dev/null) || return 1
  "$found" "$@" 2>/dev/null | grep -q -- "${want#v}" || return 1
  mkdir -p "$dest" && ln -sf "$found" "$dest/$bin"
  log "$bin $want: using $found"
}

have_go() { command -v go >/dev/null 2>&1; }

os=$(uname -s | tr '[:upper:]' '[:lower:]')
arch=$(uname -m); case $arch in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; esac

fetch() { # <url> <file>
  curl -fsSL --retry 3 -o "$2" "$1"
}

go_install() { # <dest-dir> <module/cmd@version...>
  local dest=$1; shift
  mkdir -p "$dest.tmp"
  GOBIN="$dest.tmp" GOFLAGS=-buildvcs=false go install "$@"
  rm -rf "$dest" && mv "$dest.tmp" "$dest"
}

install_temporal() {
  local dest="$tools/temporal-$TEMPORAL"
  [ -x "$dest/temporal" ] && return
  from_path temporal "$dest" "$TEMPORAL" --version && return
  if have_go; then
    with_progress "temporal $TEMPORAL" go_install "$dest" "github.com/temporalio/cli/cmd/temporal@$TEMPORAL"
  else
    mkdir -p "$dest" && fetch "https://temporal.download/cli/archive/$TEMPORAL?platform=$os&arch=$arch" "$dest/cli.tgz"
    tar -xzf "$dest/cli.tgz" -C "$dest" temporal && rm "$dest/cli.tgz"
  fi
}

install_kwok() {
  local dest="$tools/kwok-$KWOK"
  [ -x "$dest/kwokctl" ] && [ -x "$dest/kwok" ] && return
  if have_go; then
    with_progress "kwok $KWOK" go_install "$dest" "sigs.k8s.io/kwok/cmd/kwok@$KWOK" "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK"
  else
    mkdir -p "$dest"
    for b in kwok kwokctl; do
      fetch "https://github.com/kubernetes-sigs/kwok/releases/download/$KWOK/$b-$os-$arch" "$dest/$b" && chmod +x "$dest/$b"
    done
  fi
}

install_helm() {
  local dest="$tools/helm-$HELM"
  [ -x "$dest/helm" ] && return
  from_path helm "$dest" "$HELM" version --short && return
  if have_go; then
    with_progress "helm $HELM" go_install "$dest" "helm.sh/helm/v3/cmd/helm@$HELM"
  else
    mkdir -p "$dest" && fetch "https://get.helm.sh/helm-$HELM-$os-$arch.tar.gz" "$dest/helm.tgz"
    tar -xzf "$dest/helm.tgz" -C "$dest" --strip-components=1 "$os-$arch/helm" && rm "$dest/helm.tgz"
  fi
}

# etcd and the Kubernetes control plane are built inside small wrapper
# modules of our own (tools/etcd, tools/k8s) whose go.sum pins every dependency.
go_build_in() { # <module-dir> <dest-dir> <ldflags> <package...>
  local dir=$1 dest=$2 ldflags=$3; shift 3
  mkdir -p "$dest.tmp"
  (cd "$dir" && GOSUMDB=off GOFLAGS="-buildvcs=false -mod=mod" go build -trimpath -ldflags "$ldflags" -o "$dest.tmp/" "$@")
  rm -rf "$dest" && mv "$dest.tmp" "$dest"
}

install_etcd() {
  local dest="$tools/etcd-$ETCD"
  [ -x "$dest/etcd" ] && return
  if have_go; then
    build_etcd() {
      go_build_in "$repo/tools/etcd" "$dest" "-s -w" go.etcd.io/etcd/server/v3
      mv "$dest/server" "$dest/etcd"  # go names the binary after the package folder
    }
    with_progress "etcd $ETCD" build_etcd
  else
    mkdir -p "$dest" && fetch "https://github.com/etcd-io/etcd/releases/download/$ETCD/etcd-$ETCD-$os-$arch.tar.gz" "$dest/etcd.tgz"
    tar -xzf "$dest/etcd.tgz" -C "$dest" --strip-components=1 "etcd-$ETCD-$os-$arch/etcd" && rm "$dest/etcd.tgz"
  fi
}

# kube-apiserver, kube-controller-manager and kube-scheduler at one version, built in the wrapper
# module that pins it.
build_kubernetes() { # <version> <module-dir>
  local version=$1 module=$2
  local dest="$tools/kubernetes-$version"
  local cmds=(kube-apiserver kube-controller-manager kube-scheduler)
  local ok=1 c
  for c in "${cmds[@]}"; do [ -x "$dest/$c" ] || ok=0; done
  (( ok )) && return
  if have_go; then
    local minor=${version#v1.}; minor=${minor%%.*}
    local v ldflags="-s -w"
    # kwokctl checks `<binary> --version`, so stamp the version the way Kubernetes' own build does.
    for v in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags+=" -X $v.gitVersion=$version -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean -X $v.buildDate=1970-01-01T00:00:00Z"
    done
    local pkgs=() ; for c in "${cmds[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
    with_progress "kubernetes $version (${cmds[*]})" go_build_in "$module" "$dest" "$ldflags" "${pkgs[@]}"
  else
    mkdir -p "$dest"
    for c in "${cmds[@]}"; do
      fetch "https://dl.k8s.io/release/$version/bin/$os/$arch/$c" "$dest/$c" && chmod +x "$dest/$c"
    done
  fi
}

install_kubernetes() { build_kubernetes "$KUBE" "$repo/tools/k8s"; }

# The minor before, for KWOK clusters whose control plane a test upgrades to $KUBE.
install_kubernetes_previous() { build_kubernetes "$KUBE_PREVIOUS" "$repo/tools/k8s-previous"; }

# A Python tool from PyPI in a virtualenv of its own.
pip_venv() { # <dest-dir> <requirement> <who needs it>
  local dest=$1 requirement=$2
  [ -f "$dest/.complete" ] && return
  command -v python3 >/dev/null || { log "$requirement: no python3; $3 need it"; return 1; }
  build_venv() {
    rm -rf "$dest" && python3 -m venv "$dest"
    "$dest/bin/pip" install --quiet --disable-pip-version-check "$requirement"
    touch "$dest/.complete"
  }
  with_progress "$requirement" build_venv
}

# moto, the AWS API emulator the EKS tests run against.
install_moto() { pip_venv "$tools/moto-$MOTO" "moto[server]==$MOTO" "the EKS tests"; }

# schemathesis, the OpenAPI tester test/api/schemathesis.test.ts runs against the API.
install_schemathesis() { pip_venv "$tools/schemathesis-$SCHEMATHESIS" "schemathesis==$SCHEMATHESIS" "the API tests"; }

# The Temporal server itself (not the dev server) and its SQL schema tool, for
# running against PostgreSQL. Built from source only: the release archives do
# not carry the schema files, which come from the same module.
install_temporal_server() {
  local dest="$tools/temporal-server-$TEMPORAL_SERVER"
  [ -f "$dest/.complete" ] && return
  have_go || { log "temporal-server: needs Go (go install go.temporal.io/server/cmd/server@$TEMPORAL_SERVER)"; return 1; }
  build_temporal_server() {
    local module="go.temporal.io/server@$TEMPORAL_SERVER"
    # Its go.mod asks for a newer Go (1.26.10) than the machines have; the go
    # command fetches this toolchain from the module proxy, for this build only.
    GOTOOLCHAIN=go1.27.3 go_install "$dest" "go.temporal.io/server/cmd/server@$TEMPORAL_SERVER" "go.temporal.io/server/cmd/tools/sql@$TEMPORAL_SERVER"
    mv "$dest/server" "$dest/temporal-server"
    mv "$dest/sql" "$dest/temporal-sql-tool"
    # The module cache is read-only and may be cleaned: keep our own copy of the schema.
    mkdir -p "$dest/schema"
    cp -R "$(go env GOMODCACHE)/$module/schema/postgresql" "$dest/schema/"
    chmod -R u+w "$dest/schema"
    touch "$dest/.complete"
  }
  with_progress "temporal-server $TEMPORAL_SERVER (and temporal-sql-tool)" build_temporal_server
}

# PostgreSQL for the Temporal server: Debian's package, when it is not there yet.
install_postgresql() {
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && return
  command -v initdb >/dev/null && command -v postgres >/dev/null && return
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    install_postgresql_package() {
      export DEBIAN_FRONTEND=noninteractive
      apt-get install -y -qq --no-install-recommends postgresql >/dev/null ||
        { apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql >/dev/null; }
    }
    with_progress "postgresql (apt-get install postgresql)" install_postgresql_package
  else
    log "postgresql: not installed; install PostgreSQL 12 or later (initdb and postgres on PATH)"
    return 1
  fi
}

default_tools=(temporal helm kwok etcd kubernetes kubernetes-previous moto schemathesis)
known_tools=("${default_tools[@]}" temporal-server postgresql)
wanted=("$@")
(( ${#wanted[@]} )) || wanted=("${default_tools[@]}")
for t in "${wanted[@]}"; do
  [[ " ${known_tools[*]} " == *" $t "* ]] || { log "unknown tool '$t' (known: ${known_tools[*]})"; exit 2; }
done

exec 9>"$tools/.lock"
flock 9
for t in "${wanted[@]}"; do "install_${t//-/_}"; done
log "ready in $tools: ${wanted[*]}"
