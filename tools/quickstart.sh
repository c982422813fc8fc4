#!/usr/bin/env bash
# setup + build + the first comparison: no attention vs. Bahdanau attention on `reverse`.
# Finished runs in runs/quickstart are kept (--resume): a second call only prints the table.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
bash tools/build.sh
build/attnlab run experiments/quickstart.json --jobs 2 --resume "$@"
