#!/usr/bin/env bash
# setup + build + every test (unit and end-to-end) through ctest.
#   bash tools/test.sh             the Release build in build/ (what CI runs)
#   bash tools/test.sh --sanitize  the same suite built with AddressSanitizer + UndefinedBehaviorSanitizer
#                                  in build-sanitize/ (gcc; LibTorch itself is not instrumented). Slow:
#                                  a full build, then tests several times slower.
set -euo pipefail
cd "$(dirname "$0")/.."
sanitize=0
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=1 ;;
    *) echo "tools/test.sh: unknown argument $arg (known: --sanitize)" >&2; exit 2 ;;
  esac
done
bash tools/setup.sh
if [ "$sanitize" = 1 ]; then
  flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
  # Tests run 3-10x slower under the sanitizers: their time limits are scaled by 10.
  cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" -DATTNLAB_TEST_TIMEOUT_SCALE=10 >/dev/null
  ninja -C build-sanitize -j2
  cd build-sanitize
  # Leaks: LibTorch and OpenMP keep pools for the process's life. Anything else stops the test.
  export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  ctest -j2 --output-on-failure
  exit
fi
bash tools/build.sh
build/attnlab doctor --size 512 --repeats 3   # the kernels and threads the tests run with
cd build
ctest -j2 --output-on-failure --timeout 900
