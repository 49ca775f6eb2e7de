#!/usr/bin/env bash
# Prints the folder of the Gateway API standard-channel CRDs that the pinned
# sigs.k8s.io/gateway-api module ships.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
gateway_api_crds
