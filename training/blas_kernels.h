#pragma once
// Which matrix-product kernels the process runs, and the fix when OpenBLAS picked slow ones.
//
// Debian's OpenBLAS (0.3.21, DYNAMIC_ARCH) chooses its kernels once, when the library is loaded,
// from the processor it recognises; a processor newer than the library (e.g. an AVX-512 Xeon it
// cannot name) gets the generic "Prescott" SSE3 kernels, ~4.5x slower at float GEMM here. The
// choice can only be changed by OPENBLAS_CORETYPE before the library loads, so the fix is to set
// it and re-execute the program before any BLAS call.

#include <optional>
#include <string>

namespace attnlab {

/// What OpenBLAS and the processor say about the kernels in use.
struct BlasKernels {
  std::string library;       ///< "OpenBLAS 0.3.21 ..." (openblas_get_config), or "unknown BLAS"
  std::string core;          ///< kernels OpenBLAS chose (openblas_get_corename), "" if not OpenBLAS
  std::string parallel;      ///< OpenBLAS threading: "sequential", "pthreads", "openmp" or ""
  std::string best_core;     ///< best OpenBLAS core this processor supports ("SkylakeX", "Haswell", "")
  std::string coretype_env;  ///< OPENBLAS_CORETYPE as found in the environment, "" if unset
  bool selected_by_attnlab;  ///< OPENBLAS_CORETYPE was set by select_fast_blas_kernels
};

BlasKernels blas_kernels();

/// The OpenBLAS core to force, or nullopt: set only when OpenBLAS chose a core weaker than the
/// processor supports and the environment does not already name one.
std::optional<std::string> blas_core_to_force(const BlasKernels& kernels);

/// Call first thing in main(), before any tensor operation: when OpenBLAS fell back to generic
/// kernels on a processor with AVX2 or AVX-512, sets OPENBLAS_CORETYPE and re-executes this
/// program (/proc/self/exe) with the same arguments; returns normally otherwise (also when the
/// re-execution fails, then with the slow kernels). A value the user or the machine set is never
/// overridden, and a program re-executed once is never re-executed again.
void select_fast_blas_kernels(char** argv);

/// Measured single-precision GEMM speed: the median GFLOP/s of `repeats` products of n x n
/// matrices with LibTorch's current thread setting.
double measure_gemm_gflops(int64_t n, int repeats);

}  // namespace attnlab
