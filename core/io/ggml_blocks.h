#pragma once
// llama.cpp's tensor types (ggml.h enum ggml_type) and the decoding of its block formats to float32
// (MATH.md §12): every value bit for bit what llama.cpp's reference dequantize_row_* in
// ggml-quants.c gives, for Q4_0 … Q6_K, Q8_K, the IQ lattice types, TQ1_0/TQ2_0, MXFP4, NVFP4,
// Q1_0 and Q2_0. Block layouts are in ggml-common.h; a block covers blockSize(t) consecutive
// elements along a tensor's innermost axis, so a row of a matrix is whole blocks.
//
// The decoders read any bytes safely: every table index is masked into its table, and a block's
// bytes are never read past blockBytes(t). The caller guarantees that `src` holds
// storedByteCount(t, count) bytes (TensorReader::storedBytes does, for a whole tensor).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/tensor/dtype.h"

namespace quench {

/// One ggml tensor type as GGUF stores it: its id, ggml's name, block geometry, and its DType.
struct GgmlType {
  std::uint32_t id;
  std::string_view name;
  std::uint32_t blockSize;   ///< elements per block (1 for element types)
  std::uint32_t blockBytes;  ///< bytes per block
  DType dtype;
  std::string_view layout;   ///< one line on the block's contents ("" for element types)
};

/// The ggml type with id `id` (ggml.h), or nullptr for ids ggml does not define (4, 5, 31–33, 36–38
/// were removed upstream) and unknown ids.
const GgmlType* findGgmlType(std::uint32_t id);
/// ggml's id of a DType; nullopt for DTypes ggml has no type for (U8, U16, U32, U64, Bool, FP8).
std::optional<std::uint32_t> ggmlTypeId(DType t);

/// Decode `count` elements of type `t` at `src` into `dst` (float32). Element types convert as
/// convertToFloat; block types need `count` to be a multiple of blockSize(t) (asserted) and read
/// storedByteCount(t, count) bytes. `src` needs no alignment. Single-threaded; callers split large
/// tensors into runs of whole blocks across threads.
void decodeToFloat(DType t, const void* src, std::size_t count, float* dst);

}  // namespace quench
