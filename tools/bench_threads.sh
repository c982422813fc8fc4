#!/usr/bin/env bash
# The BLAS kernel and thread arrangements of README "Speed on a CPU", side by side in one run:
# attnlab bench model for the Transformer and the Bahdanau RNN under each arrangement, at 1 and
# 2 threads. Run it with the machine otherwise idle (~5 min on 2 cores).
# Needs both Debian builds of OpenBLAS: libopenblas0-pthread and libopenblas0-openmp.
set -euo pipefail
cd "$(dirname "$0")/.."
attnlab=build/attnlab
lib=/usr/lib/x86_64-linux-gnu
for build in pthread openmp; do
  [ -e "$lib/openblas-$build/libblas.so.3" ] || { echo "bench_threads: needs libopenblas0-$build" >&2; exit 2; }
done
args=(bench model --only transformer,rnn_bahdanau --sentences 32 --beam 1 --repeats 3)
run() {  # name, threads, then the command
  echo "=== $1 (threads $2)"
  shift 2
  "$@" | grep -E "^(transformer|rnn_bahdanau) "
}
pthread=(env "LD_LIBRARY_PATH=$lib/openblas-pthread")
openmp=(env "LD_LIBRARY_PATH=$lib/openblas-openmp")
for t in 1 2; do
  # ATTNLAB_BLAS_CORE_SELECTED (any value) keeps attnlab from choosing the kernels: OpenBLAS's own pick.
  run "OpenBLAS's own kernels, pthreads" $t "${pthread[@]}" ATTNLAB_BLAS_CORE_SELECTED=off $attnlab "${args[@]}" --threads $t
  run "attnlab's kernels, pthreads" $t "${pthread[@]}" $attnlab "${args[@]}" --threads $t
  run "attnlab's kernels, pthreads, passive wait" $t "${pthread[@]}" OMP_WAIT_POLICY=PASSIVE $attnlab "${args[@]}" --threads $t
  run "attnlab's kernels, OpenMP build" $t "${openmp[@]}" $attnlab "${args[@]}" --threads $t
  run "attnlab's kernels, OpenMP build, passive wait" $t "${openmp[@]}" OMP_WAIT_POLICY=PASSIVE $attnlab "${args[@]}" --threads $t
done
run "attnlab's kernels, pthreads, ATen 1 + BLAS 2" 2 "${pthread[@]}" $attnlab "${args[@]}" --threads 1 --blas-threads 2
run "attnlab's kernels, OpenMP build, ATen 1 + BLAS 2" 2 "${openmp[@]}" $attnlab "${args[@]}" --threads 1 --blas-threads 2
