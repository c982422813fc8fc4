#!/usr/bin/env bash
# setup + build + every test (unit and end-to-end) through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
bash tools/build.sh
build/attnlab doctor --size 512 --repeats 3   # the kernels and threads the tests run with
cd build
ctest -j2 --output-on-failure --timeout 900
