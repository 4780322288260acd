#!/usr/bin/env bash
# Browse the catalog locally: export it and run the EventCatalog dev server
# (http://localhost:3000; extra arguments go to `eventcatalog dev`, e.g. --host 0.0.0.0).
source "$(dirname "$0")/eventcatalog/lib.sh"

export_catalog
install_eventcatalog
link_node_modules
run_eventcatalog dev "$@"
