# Shared by tools/catalog-check.sh and tools/catalog-serve.sh (sourced, not run).
# Exports the catalog and installs the pinned EventCatalog into a cache folder.
#
#   HELPLINE            the helpline command        (default: .venv/bin/helpline, or
#                       `python -m helpline.catalog.cli` while `catalog` is not registered)
#   CATALOG_OUT         output folder               (default: build/catalog)
#   EVENTCATALOG_CACHE  where node_modules is kept  (default: build/.eventcatalog)

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-.venv/bin/python}"
if [[ -z "${HELPLINE:-}" ]]; then
  HELPLINE=.venv/bin/helpline
  "$HELPLINE" catalog --help >/dev/null 2>&1 || HELPLINE="$PYTHON -m helpline.catalog.cli"
fi
mkdir -p "${CATALOG_OUT:-build/catalog}"
CATALOG_OUT="$(cd "${CATALOG_OUT:-build/catalog}" && pwd)"
PROJECT="$CATALOG_OUT/eventcatalog"
PINNED="$("$PYTHON" -c 'from helpline.catalog.eventcatalog import EVENTCATALOG_VERSION as v; print(v)')"
mkdir -p "${EVENTCATALOG_CACHE:-build/.eventcatalog}/$PINNED"
CACHE="$(cd "${EVENTCATALOG_CACHE:-build/.eventcatalog}/$PINNED" && pwd)"
SPEC="$ROOT/tools/eventcatalog"

export_catalog() {
  # $HELPLINE is split on purpose: it may be "python -m ...".
  $HELPLINE catalog export "$PROJECT"
  $HELPLINE catalog asyncapi --output "$CATALOG_OUT/asyncapi.yaml"
}

install_eventcatalog() {
  if ! grep -q "\"@eventcatalog/core\": \"$PINNED\"" "$SPEC/package.json"; then
    echo "tools/eventcatalog/package.json does not pin @eventcatalog/core $PINNED" \
         "(EVENTCATALOG_VERSION); update it and regenerate its package-lock.json" >&2
    return 1
  fi
  if [[ -x "$CACHE/node_modules/.bin/eventcatalog" ]] \
     && cmp -s "$SPEC/package-lock.json" "$CACHE/package-lock.json"; then
    echo "EventCatalog $PINNED: cached in $CACHE"
    INSTALL_SECONDS=0
    return 0
  fi
  echo "EventCatalog $PINNED: installing into $CACHE (a few minutes the first time)"
  cp "$SPEC/package.json" "$SPEC/package-lock.json" "$CACHE/"
  local start=$SECONDS
  # onnxruntime-node (a dependency of the optional AI chat) downloads CUDA binaries in its
  # install script when it finds nvcc; the catalog needs none of it.
  (cd "$CACHE" && ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm ci --no-audit --no-fund \
      --loglevel=error)
  INSTALL_SECONDS=$((SECONDS - start))
  echo "EventCatalog $PINNED: installed in ${INSTALL_SECONDS}s"
}

link_node_modules() {
  # EventCatalog copies its Astro app into $PROJECT/.eventcatalog-core and runs it there, so
  # node resolves astro & co. through $PROJECT/node_modules: point it at the cache.
  ln -sfn "$(cd "$CACHE/node_modules" && pwd)" "$PROJECT/node_modules"
}

run_eventcatalog() {
  # NODE_ENV=CI turns off EventCatalog's build analytics, NO_UPDATE_NOTIFIER its update check.
  (cd "$PROJECT" && PATH="$PWD/node_modules/.bin:$PATH" NODE_ENV=CI NO_UPDATE_NOTIFIER=1 \
      ASTRO_TELEMETRY_DISABLED=1 command eventcatalog "$@")
}
