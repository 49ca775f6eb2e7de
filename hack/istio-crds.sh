#!/usr/bin/env bash
# Prints the path of the Istio CRD manifest that the pinned istio.io/api module ships.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
istio_crds
