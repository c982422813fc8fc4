#include "modules/dropout.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <immintrin.h>

#include <cmath>
#include <mutex>

namespace attnlab {

namespace {
constexpr uint32_t kMultiplier0 = 0xD2511F53, kMultiplier1 = 0xCD9E8D57;  // Salmon et al. 2011
constexpr uint32_t kWeyl0 = 0x9E3779B9, kWeyl1 = 0xBB67AE85;              // key schedule
constexpr int kRounds = 10;
constexpr int64_t kLanes = 32;                   // Philox blocks computed side by side: a chunk
constexpr int64_t kWordsPerChunk = 4 * kLanes;  // elements a chunk decides

// A chunk of kLanes blocks (first, first + 1, ...) decides kWordsPerChunk elements: element i of
// the chunk takes word i / kLanes of block first + i % kLanes, so each word of all blocks lands
// in consecutive elements (a vector store, no transposition). Philox's 32 x 32 -> 64-bit
// products are what vpmuludq computes in each 64-bit lane, so the blocks run side by side,
// eight to an AVX-512 register (four registers interleaved, to hide the multiply's latency) or
// four to an AVX2 one; the three bodies are one algorithm, written out because code for a
// vector target must be compiled entirely under that target.
__attribute__((target("avx512f"))) void philox_chunk_avx512(uint64_t first, uint32_t key0, uint32_t key1,
                                                             uint32_t* words) {
  constexpr int kWidth = 8, kGroups = kLanes / kWidth;
  const __m512i low = _mm512_set1_epi64(0xffffffffLL);
  const __m512i m0 = _mm512_set1_epi64(kMultiplier0), m1 = _mm512_set1_epi64(kMultiplier1);
  __m512i c0[kGroups], c1[kGroups], c2[kGroups], c3[kGroups];
  for (int g = 0; g < kGroups; ++g) {
    const __m512i block = _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(first + g * kWidth)),
                                           _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0));
    c0[g] = _mm512_and_si512(block, low);
    c1[g] = _mm512_srli_epi64(block, 32);
    c2[g] = c3[g] = _mm512_setzero_si512();
  }
  uint32_t k0 = key0, k1 = key1;
  for (int round = 0; round < kRounds; ++round) {
    const __m512i key_0 = _mm512_set1_epi64(k0), key_1 = _mm512_set1_epi64(k1);
    for (int g = 0; g < kGroups; ++g) {
      const __m512i p0 = _mm512_mul_epu32(c0[g], m0), p1 = _mm512_mul_epu32(c2[g], m1);  // 64-bit products
      c0[g] = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(p1, 32), c1[g]), key_0);
      c2[g] = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(p0, 32), c3[g]), key_1);
      c1[g] = _mm512_and_si512(p1, low);
      c3[g] = _mm512_and_si512(p0, low);
    }
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  for (int g = 0; g < kGroups; ++g) {  // 64-bit lanes narrowed to 32-bit words, stored in a row
    auto* at = words + g * kWidth;
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(at), _mm512_cvtepi64_epi32(c0[g]));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(at + kLanes), _mm512_cvtepi64_epi32(c1[g]));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(at + 2 * kLanes), _mm512_cvtepi64_epi32(c2[g]));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(at + 3 * kLanes), _mm512_cvtepi64_epi32(c3[g]));
  }
}

__attribute__((target("avx2"))) void philox_chunk_avx2(uint64_t first, uint32_t key0, uint32_t key1, uint32_t* words) {
  constexpr int kWidth = 4, kGroups = kLanes / kWidth;
  const __m256i low = _mm256_set1_epi64x(0xffffffffLL);
  const __m256i m0 = _mm256_set1_epi64x(kMultiplier0), m1 = _mm256_set1_epi64x(kMultiplier1);
  __m256i c0[kGroups], c1[kGroups], c2[kGroups], c3[kGroups];
  for (int g = 0; g < kGroups; ++g) {
    const __m256i block = _mm256_add_epi64(_mm256_set1_epi64x(static_cast<long long>(first + g * kWidth)),
                                           _mm256_set_epi64x(3, 2, 1, 0));
    c0[g] = _mm256_and_si256(block, low);
    c1[g] = _mm256_srli_epi64(block, 32);
    c2[g] = c3[g] = _mm256_setzero_si256();
  }
  uint32_t k0 = key0, k1 = key1;
  for (int round = 0; round < kRounds; ++round) {
    const __m256i key_0 = _mm256_set1_epi64x(k0), key_1 = _mm256_set1_epi64x(k1);
    for (int g = 0; g < kGroups; ++g) {
      const __m256i p0 = _mm256_mul_epu32(c0[g], m0), p1 = _mm256_mul_epu32(c2[g], m1);
      c0[g] = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), c1[g]), key_0);
      c2[g] = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), c3[g]), key_1);
      c1[g] = _mm256_and_si256(p1, low);
      c3[g] = _mm256_and_si256(p0, low);
    }
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  for (int g = 0; g < kGroups; ++g) {
    alignas(32) uint64_t lanes[4][kWidth];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes[0]), c0[g]);
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes[1]), c1[g]);
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes[2]), c2[g]);
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes[3]), c3[g]);
    for (int word = 0; word < 4; ++word)
      for (int l = 0; l < kWidth; ++l) words[word * kLanes + g * kWidth + l] = static_cast<uint32_t>(lanes[word][l]);
  }
}

void philox_chunk_scalar(uint64_t first, uint32_t key0, uint32_t key1, uint32_t* words) {
  for (int64_t l = 0; l < kLanes; ++l) {
    const uint64_t block = first + l;
    const auto w = philox4x32_10({static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 0, 0}, {key0, key1});
    for (int word = 0; word < 4; ++word) words[word * kLanes + l] = w[word];
  }
}

using PhiloxChunk = void (*)(uint64_t, uint32_t, uint32_t, uint32_t*);

/// The kernel `name` names, or null when this processor cannot run it.
PhiloxChunk philox_kernel(const std::string& name) {
  __builtin_cpu_init();
  if (name == "avx512f") return __builtin_cpu_supports("avx512f") ? &philox_chunk_avx512 : nullptr;
  if (name == "avx2") return __builtin_cpu_supports("avx2") ? &philox_chunk_avx2 : nullptr;
  TORCH_CHECK(name == "scalar", "dropout: no Philox kernel named ", name);
  return &philox_chunk_scalar;
}

/// The widest kernel this processor runs, chosen once.
PhiloxChunk philox_chunk() {
  static const PhiloxChunk chosen = [] {
    for (const char* name : {"avx512f", "avx2"})
      if (auto kernel = philox_kernel(name)) return kernel;
    return &philox_chunk_scalar;
  }();
  return chosen;
}

/// out[j] = in[j] · scale where words[j] >= threshold, else 0 (the float case compiled for the
/// vector units too: with the words at ~1 ns per element, this loop is the rest of the cost).
template <class T>
void keep_or_zero(const uint32_t* __restrict words, const T* __restrict in, T* __restrict out, int64_t count,
                  uint32_t threshold, T scale) {
  for (int64_t j = 0; j < count; ++j) out[j] = words[j] >= threshold ? static_cast<T>(in[j] * scale) : T(0);
}
__attribute__((target_clones("avx512f", "avx2", "default"))) void keep_or_zero(
    const uint32_t* __restrict words, const float* __restrict in, float* __restrict out, int64_t count,
    uint32_t threshold, float scale) {
  for (int64_t j = 0; j < count; ++j) out[j] = words[j] >= threshold ? in[j] * scale : 0.0f;
}

}  // namespace

std::optional<std::vector<uint32_t>> philox_chunk_words(const std::string& kernel, uint64_t first,
                                                        std::array<uint32_t, 2> key) {
  const auto run = philox_kernel(kernel);
  if (!run) return std::nullopt;
  std::vector<uint32_t> words(kWordsPerChunk);
  run(first, key[0], key[1], words.data());
  return words;
}

std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> c, std::array<uint32_t, 2> k) {
  for (int round = 0; round < kRounds; ++round) {
    const uint64_t p0 = static_cast<uint64_t>(kMultiplier0) * c[0];
    const uint64_t p1 = static_cast<uint64_t>(kMultiplier1) * c[2];
    c = {static_cast<uint32_t>(p1 >> 32) ^ c[1] ^ k[0], static_cast<uint32_t>(p1),
         static_cast<uint32_t>(p0 >> 32) ^ c[3] ^ k[1], static_cast<uint32_t>(p0)};
    k[0] += kWeyl0;
    k[1] += kWeyl1;
  }
  return c;
}

torch::Tensor apply_dropout_mask(const torch::Tensor& x, double p, uint64_t seed) {
  TORCH_CHECK(p >= 0.0 && p < 1.0, "dropout: p must be in [0, 1), got ", p);
  TORCH_CHECK(x.device().is_cpu(), "dropout: CPU tensors only");
  const auto input = x.contiguous();
  auto output = torch::empty_like(input, torch::MemoryFormat::Contiguous);
  const int64_t n = input.numel();
  // Kept when the word is >= p·2³² (rounded): P(keep) = 1 - p to within 2⁻³².
  const auto threshold = static_cast<uint32_t>(std::min(std::llround(p * 4294967296.0), 4294967295LL));
  const std::array<uint32_t, 2> key{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
  // Element e is decided in chunk e / kWordsPerChunk (its blocks: kLanes · chunk, ...).
  const int64_t chunks = (n + kWordsPerChunk - 1) / kWordsPerChunk;
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, input.scalar_type(), "dropout", [&] {
    const auto* in = input.data_ptr<scalar_t>();
    auto* out = output.data_ptr<scalar_t>();
    const auto scale = static_cast<scalar_t>(1.0 / (1.0 - p));
    const auto chunk_words = philox_chunk();
    at::parallel_for(0, chunks, 256, [&](int64_t begin, int64_t end) {
      uint32_t words[kWordsPerChunk];
      for (int64_t chunk = begin; chunk < end; ++chunk) {
        chunk_words(static_cast<uint64_t>(chunk * kLanes), key[0], key[1], words);
        const int64_t first = chunk * kWordsPerChunk, count = std::min(kWordsPerChunk, n - first);
        keep_or_zero(words, in + first, out + first, count, threshold, scale);
      }
    });
  });
  return output;
}

namespace {

/// y = mask(seed) ⊙ x / (1-p); dx = mask(seed) ⊙ dy / (1-p), the mask regenerated.
struct DropoutFunction : torch::autograd::Function<DropoutFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, double p, int64_t seed) {
    ctx->saved_data["p"] = p;
    ctx->saved_data["seed"] = seed;
    return apply_dropout_mask(x, p, static_cast<uint64_t>(seed));
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto seed = static_cast<uint64_t>(ctx->saved_data["seed"].toInt());
    return {apply_dropout_mask(grads[0], ctx->saved_data["p"].toDouble(), seed), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

uint64_t draw_dropout_seed() {
  auto generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get<at::CPUGeneratorImpl>()->random64();
}

torch::Tensor philox_dropout_with_seed(const torch::Tensor& x, double p, uint64_t seed) {
  TORCH_CHECK(p >= 0.0 && p <= 1.0, "dropout: p must be in [0, 1], got ", p);
  if (p == 0.0) return x;
  if (p == 1.0) return x * 0.0;  // everything dropped (and no 1/0 scale)
  return DropoutFunction::apply(x, p, static_cast<int64_t>(seed));
}

torch::Tensor philox_dropout(const torch::Tensor& x, double p, bool training) {
  if (!training || p == 0.0) return x;
  return philox_dropout_with_seed(x, p, draw_dropout_seed());
}

DropoutImpl::DropoutImpl(double p_) : p(p_) {
  TORCH_CHECK(p >= 0.0 && p <= 1.0, "dropout: p must be in [0, 1], got ", p);
}

}  // namespace attnlab
