#include "modules/batched_matmul.h"

#include <dlfcn.h>

#include <algorithm>
#include <climits>
#include <optional>

#include <ATen/Parallel.h>

#include "modules/traced_shapes.h"

namespace attnlab {

namespace {

// The Fortran BLAS interface every BLAS has (column-major, arguments by pointer): LibTorch links
// the system's BLAS, so the symbols are already in the process.
template <typename T>
using Gemm = void (*)(const char* trans_a, const char* trans_b, const int* m, const int* n, const int* k,
                      const T* alpha, const T* a, const int* lda, const T* b, const int* ldb, const T* beta, T* c,
                      const int* ldc);

template <typename T>
Gemm<T> blas_gemm() {
  static const auto gemm =
      reinterpret_cast<Gemm<T>>(dlsym(RTLD_DEFAULT, std::is_same_v<T, float> ? "sgemm_" : "dgemm_"));
  return gemm;
}

/// Multiply-adds per matrix under which LibTorch 1.13's CPU bmm uses its own loop, not BLAS.
constexpr int64_t kBmmOwnLoopBelow = 400;

bool fits_int(int64_t value) { return value >= 0 && value <= INT_MAX; }

/// How BLAS reads the [R, C] matrices of a batch in place: row-major (leading dimension = the
/// row stride) or column-major, i.e. a transposed view.
struct Layout {
  bool column_major = false;
  int64_t leading = 0;
};

/// t's layout, or none when BLAS cannot read it in place (a copy is needed).
std::optional<Layout> layout_of(const torch::Tensor& t) {
  const int64_t R = t.size(1), C = t.size(2), row_stride = t.stride(1), column_stride = t.stride(2);
  std::optional<Layout> layout;
  // A dimension of size 1 has no stride to speak of: any leading dimension ≥ the other size will do.
  if ((column_stride == 1 || C == 1) && (row_stride >= std::max<int64_t>(C, 1) || R == 1))
    layout = Layout{false, R == 1 ? std::max<int64_t>(C, 1) : row_stride};
  else if ((row_stride == 1 || R == 1) && (column_stride >= std::max<int64_t>(R, 1) || C == 1))
    layout = Layout{true, C == 1 ? std::max<int64_t>(R, 1) : column_stride};
  if (layout && !fits_int(layout->leading)) return std::nullopt;
  return layout;
}

bool needs_autograd(const torch::Tensor& a, const torch::Tensor& b) {
  return torch::GradMode::is_enabled() && (a.requires_grad() || b.requires_grad());
}

/// out (contiguous) = a · b, the matrices of a and b read as their layouts say.
template <typename T>
void products(torch::Tensor& out, const torch::Tensor& a, const Layout& la, const torch::Tensor& b, const Layout& lb) {
  const int64_t N = a.size(0);
  // Row-major out = a · b is column-major outᵀ = bᵀ · aᵀ: BLAS gets b first. A row-major operand
  // read as column-major is its own transpose ('N'); a column-major one needs 'T'.
  const int m = static_cast<int>(out.size(2)), n = static_cast<int>(out.size(1)), k = static_cast<int>(a.size(2));
  const int ldb = static_cast<int>(lb.leading), lda = static_cast<int>(la.leading), ldc = std::max(m, 1);
  const char* op_b = lb.column_major ? "T" : "N";
  const char* op_a = la.column_major ? "T" : "N";
  const T one = 1, zero = 0;
  const T* a_data = a.data_ptr<T>();
  const T* b_data = b.data_ptr<T>();
  T* out_data = out.data_ptr<T>();
  const int64_t a_step = a.stride(0), b_step = b.stride(0), out_step = out.stride(0);
  const auto gemm = blas_gemm<T>();
  // Whole products per task; at least ~64k multiply-adds each, so small batches stay on one thread.
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(int64_t{m} * n * k, 1));
  at::parallel_for(0, N, grain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      gemm(op_b, op_a, &m, &n, &k, &one, b_data + i * b_step, &ldb, a_data + i * a_step, &lda, &zero,
           out_data + i * out_step, &ldc);
  });
}

/// t with matrices BLAS can read in place: itself, or a contiguous copy.
torch::Tensor readable(const torch::Tensor& t) { return layout_of(t) ? t : t.contiguous(); }

/// out = a · b for operands batched_matmul_calls_blas() takes; out contiguous [N, M, P] of their type.
void blas_products(torch::Tensor& out, const torch::Tensor& a_given, const torch::Tensor& b_given) {
  const auto a = readable(a_given), b = readable(b_given);
  const auto la = *layout_of(a), lb = *layout_of(b);
  if (a.scalar_type() == torch::kFloat) products<float>(out, a, la, b, lb);
  else products<double>(out, a, la, b, lb);
}

}  // namespace

bool batched_matmul_calls_blas(const torch::Tensor& a, const torch::Tensor& b) {
  // A trace records LibTorch's operators only: the BLAS calls would vanish from an export.
  if (tracing() || needs_autograd(a, b) || !a.device().is_cpu() || !b.device().is_cpu()) return false;
  const auto type = a.scalar_type();
  if ((type != torch::kFloat && type != torch::kDouble) || b.scalar_type() != type) return false;
  if (type == torch::kFloat ? !blas_gemm<float>() : !blas_gemm<double>()) return false;
  if (a.dim() != 3 || b.dim() != 3 || a.size(0) != b.size(0) || a.size(2) != b.size(1))
    return false;  // torch::bmm's own message says what is wrong
  if (a.numel() == 0 || b.numel() == 0) return false;
  // Below this torch::bmm multiplies in a loop of its own rather than calling BLAS; leaving such
  // products to it keeps every result equal to torch::bmm's bit for bit.
  if (a.size(1) * a.size(2) * b.size(2) < kBmmOwnLoopBelow) return false;
  for (int64_t size : {a.size(1), a.size(2), b.size(2)})
    if (!fits_int(size)) return false;
  return true;
}

torch::Tensor batched_matmul(const torch::Tensor& a, const torch::Tensor& b) {
  if (!batched_matmul_calls_blas(a, b)) return torch::bmm(a, b);
  auto out = torch::empty({a.size(0), a.size(1), b.size(2)}, a.options());
  blas_products(out, a, b);
  return out;
}

void batched_matmul_out(torch::Tensor& out, const torch::Tensor& a, const torch::Tensor& b) {
  const bool out_fits = out.device().is_cpu() && out.scalar_type() == a.scalar_type() && out.is_contiguous() &&
                        out.dim() == 3 && a.dim() == 3 && b.dim() == 3 && out.size(0) == a.size(0) &&
                        out.size(1) == a.size(1) && out.size(2) == b.size(2);
  if (out_fits && batched_matmul_calls_blas(a, b)) blas_products(out, a, b);
  else torch::bmm_out(out, a, b);
}

}  // namespace attnlab
