#!/usr/bin/env bash
# Installs, from Debian packages only, what attnlab needs to build and run, and
# checks that LibTorch will use OpenBLAS. Idempotent: installs only what is missing.
# Packages given as arguments are installed too (tools/fuzz.sh: clang and libFuzzer's runtime).
set -euo pipefail

packages=(cmake ninja-build g++ libtorch-dev libsentencepiece-dev sentencepiece
          nlohmann-json3-dev libcxxopts-dev libgtest-dev libopenblas0-openmp ccache python3
          python3-torch python3-sentencepiece
          libgloo-dev  # the c10d Gloo headers: data-parallel training (training/gloo_collective.cpp)
          chromium python3-pil  # chromium, python3-pil: the report is checked in a headless browser
          "$@")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# LibTorch links OpenBLAS through Debian's alternatives (libblas.so.3, liblapack.so.3,
# libopenblas.so.0). The OpenMP build shares LibTorch's OpenMP thread pool; the pthreads build
# keeps a pool of its own that fights LibTorch's for the cores (Transformer training at 2
# threads, attnlab bench model: 1988 target tokens/s with the OpenMP build, 765 with pthreads),
# and the reference BLAS is ~85x slower than either.
openblas_dir=/usr/lib/x86_64-linux-gnu/openblas-openmp
if [ "$(id -u)" -eq 0 ]; then
  for library in libblas.so.3 liblapack.so.3 libopenblas.so.0; do
    target="$openblas_dir/$library"
    link="/usr/lib/x86_64-linux-gnu/$library"
    if [ -e "$target" ] && [ "$(readlink -f "$link")" != "$(readlink -f "$target")" ]; then
      update-alternatives --quiet --set "$library-x86_64-linux-gnu" "$target" || true
    fi
  done
fi
blas=$(ldd /usr/lib/x86_64-linux-gnu/libtorch_cpu.so | awk '/libblas.so.3/ {print $3}')
if [[ "$(readlink -f "$blas")" != *openblas-openmp* ]]; then
  echo "setup: LibTorch loads $(readlink -f "$blas"), not the OpenMP build of OpenBLAS (the reference BLAS" \
       "is ~85x slower, the pthreads build ~2.5x at 2 threads)." >&2
  echo "setup: fix, as root: for l in libblas.so.3 liblapack.so.3 libopenblas.so.0; do" \
       "update-alternatives --set \$l-x86_64-linux-gnu $openblas_dir/\$l; done" >&2
  exit 1
fi
# Which kernels OpenBLAS picks on this processor (attnlab corrects a generic fallback at start-up;
# `attnlab doctor` shows the kernels it runs and measures them).
core=$(python3 -c 'import ctypes; l = ctypes.CDLL("libopenblas.so.0"); l.openblas_get_corename.restype = ctypes.c_char_p; print(l.openblas_get_corename().decode())' 2>/dev/null || echo "?")
flags=$(grep -m1 -o -w -E 'avx512f|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')
echo "setup: OpenBLAS (OpenMP build) chooses the $core kernels here; processor: ${flags:-no AVX2}" >&2
