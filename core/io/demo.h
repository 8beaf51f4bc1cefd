#pragma once
// The embedded demo: a small transformer-shaped set of weight tensors that Quench generates itself,
// so the workbench has something realistic to show on first start without any download.
#include <cstdint>
#include <memory>
#include <span>

#include "core/io/reader.h"

namespace quench {

/// Input columns (indices into the last dimension) that carry ×kDemoOutlierScale magnitude in the
/// demo's attention q/k/v and FFN gate/up weights, like the outlier features of LLM.int8().
std::span<const std::int64_t> demoOutlierColumns();
/// Magnitude factor applied to the outlier columns.
inline constexpr float kDemoOutlierScale = 20.0f;

/// In-memory reader (format "demo", path "Quench demo") over a 2-layer Llama-style block:
/// token_embd (2048×512), per layer attn_norm/ffn_norm (512), attn_q/attn_output (512×512),
/// attn_k/attn_v (256×512), ffn_gate/ffn_up (1376×512), ffn_down (512×1376), and output_norm.
/// Values are deterministic for a given seed on every platform (own Box–Muller on mt19937_64) and
/// generated lazily on readFloat; listing the catalog costs nothing.
std::unique_ptr<TensorReader> makeDemoReader(std::uint64_t seed = 0x5eed);

}  // namespace quench
