#!/usr/bin/env bash
# Render check: export the catalog, install the pinned EventCatalog from the npm registry into
# a cache folder, build the exported project with it, and validate the AsyncAPI document with
# the official parser. Fails on any schema or front-matter error. See tools/eventcatalog/lib.sh
# for the environment variables.
source "$(dirname "$0")/eventcatalog/lib.sh"

export_catalog
install_eventcatalog
link_node_modules

(cd "$CACHE" && cp "$SPEC/validate-asyncapi.mjs" . && \
    node validate-asyncapi.mjs "$CATALOG_OUT/asyncapi.yaml")

LOG="$CATALOG_OUT/eventcatalog-build.log"
start=$SECONDS
set +e
run_eventcatalog build >"$LOG" 2>&1
status=$?
set -e
BUILD_SECONDS=$((SECONDS - start))

# Astro fails the build on a front matter that breaks a collection schema; these patterns
# also catch errors that a future EventCatalog might only log.
if [[ $status -ne 0 ]] || grep -Eq "InvalidContentEntry|does not match collection schema|\[ERROR\]" "$LOG"; then
  grep -E -B2 -A12 "InvalidContentEntry|does not match collection schema|\[ERROR\]|Error" "$LOG" \
    | head -80 >&2 || true
  echo "catalog-check: EventCatalog build FAILED (exit $status); full log: $LOG" >&2
  exit 1
fi
pages=$(grep -c "index.html" "$LOG" || true)
echo "catalog-check: OK: $pages pages in $PROJECT/dist;" \
     "install ${INSTALL_SECONDS}s, build ${BUILD_SECONDS}s; log: $LOG"
