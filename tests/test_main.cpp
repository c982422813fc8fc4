// The test binary's main: the same BLAS kernels as the attnlab binary (see
// training/blas_kernels.h), so the tests check the products users run.

#include <gtest/gtest.h>

#include "training/blas_kernels.h"

int main(int argc, char** argv) {
  attnlab::select_fast_blas_kernels(argv);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
