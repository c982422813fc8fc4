#!/usr/bin/env bash
# Installs, from Debian packages only, what attnlab needs to build and run, and
# checks that LibTorch will use OpenBLAS. Idempotent: installs only what is missing.
set -euo pipefail

packages=(cmake ninja-build g++ libtorch-dev libsentencepiece-dev sentencepiece
          nlohmann-json3-dev libcxxopts-dev libgtest-dev libopenblas0-pthread ccache python3)

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

# LibTorch links libblas.so.3 through Debian's alternatives; with the reference
# BLAS a 1024^3 matmul is ~85x slower on a 2-core machine than with OpenBLAS.
blas_link=/usr/lib/x86_64-linux-gnu/libblas.so.3
openblas=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
if [[ "$(readlink -f "$blas_link")" != *openblas* && -e "$openblas" && "$(id -u)" -eq 0 ]]; then
  update-alternatives --quiet --set libblas.so.3-x86_64-linux-gnu "$openblas" || true
fi
blas=$(ldd /usr/lib/x86_64-linux-gnu/libtorch_cpu.so | awk '/libblas.so.3/ {print $3}')
if [[ "$(readlink -f "$blas")" != *openblas* ]]; then
  echo "setup: LibTorch loads the reference BLAS ($(readlink -f "$blas")), not OpenBLAS; it is ~85x slower here." >&2
  echo "setup: fix: update-alternatives --set libblas.so.3-x86_64-linux-gnu $openblas" >&2
  exit 1
fi
