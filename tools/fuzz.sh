#!/usr/bin/env bash
# Fuzzes one reader of user input with libFuzzer (clang, AddressSanitizer + UndefinedBehaviorSanitizer).
#   bash tools/fuzz.sh TARGET [SECONDS]   build build-fuzz/ (first time: a full clang build), then fuzz
#                                         TARGET for SECONDS (default 600)
#   bash tools/fuzz.sh --list             the targets (tests/fuzz/fuzz_targets.cpp)
# The corpus grows in build-fuzz/corpus/TARGET (kept between runs), starting from the target's
# built-in seeds and the repository's own files of that kind. A crashing input is written to
# build-fuzz/findings/TARGET/; once it is fixed, copy it to tests/fuzz/regressions/TARGET/ so the
# normal suite replays it (the Fuzz.* tests). Installs Debian's clang and libFuzzer runtime on
# first use (tools/setup.sh does not by default: the test suite does not need them).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: bash tools/fuzz.sh TARGET [SECONDS] | --list" >&2; exit 2; }
[ $# -ge 1 ] || usage
target=$1
seconds=${2:-600}
[[ "$seconds" =~ ^[0-9]+$ ]] || usage

bash tools/setup.sh clang libclang-rt-14-dev

build=build-fuzz
if [ ! -f "$build/build.ninja" ]; then
  # Everything instrumented for coverage and checked by ASan + UBSan; LibTorch itself is not.
  flags="-fsanitize=address,undefined,fuzzer-no-link -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
  cmake -S . -B "$build" -G Ninja -DATTNLAB_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
fi
ninja -C "$build" -j2 attnlab_fuzz >&2
fuzzer="$build/tests/fuzz/attnlab_fuzz"
if [ "$target" = "--list" ]; then
  "$fuzzer" --list
  exit 0
fi

corpus="$build/corpus/$target"
seeds="$build/seeds/$target"
findings="$build/findings/$target"
rm -rf "$seeds"
mkdir -p "$corpus" "$seeds" "$findings"
"$fuzzer" --write-seeds "$target" "$seeds"
# The repository's own files of the target's kind join the seeds (the first 40 lines of data files).
add_seed() { [ -f "$1" ] && head -n 40 "$1" > "$seeds/file-$(echo "$1" | tr '/' '_')" || true; }
shopt -s nullglob globstar
case "$target" in
  experiment) for f in experiments/*.json tests/fixtures/*.json; do add_seed "$f"; done ;;
  parallel_tsv) for f in corpora/**/*.tsv; do case "$f" in */labelled*|*fortunes*) ;; *) add_seed "$f" ;; esac; done ;;
  labelled_tsv) for f in corpora/fortunes/**/*.tsv; do add_seed "$f"; done ;;
  monolingual) for f in corpora/**/*.txt tests/fixtures/*.txt; do add_seed "$f"; done ;;
esac

echo "fuzz: $target for $seconds s; corpus $corpus, findings $findings/" >&2
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ATTNLAB_FUZZ_TARGET="$target" "$fuzzer" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 \
  -artifact_prefix="$findings/" -print_final_stats=1 "$corpus" "$seeds"
