#pragma once
// ggml's quantizers, bit for bit: the bytes a GGUF file holds after llama-quantize, for F32, F16,
// BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL and IQ4_XS.
//
// Without an importance matrix each type uses its reference quantizer (ggml's
// quantize_row_<type>_ref); with one, the importance-weighted search of ggml's quantize_<type>
// (make_qx_quants, make_qkx3_quants, make_qp_quants, the IQ4 search). Written from the algorithms
// in llama.cpp's ggml/src/ggml-quants.c at commit 3f545bec: every float operation is done in the
// same precision and the same order (ggml-quants.c is compiled for baseline x86-64, so without
// fused multiply-adds; quants.cpp is compiled with -ffp-contract=off to match).
#include <cstdint>
#include <span>

#include "core/exec/progress.h"
#include "core/io/ggml_types.h"
#include "core/tensor/result.h"

namespace quench::ggml {

/// The types Quench quantizes to (and writes) itself.
std::span<const Type> quantizableTypes();
bool canQuantize(Type t);
/// Whether an importance matrix changes the result for `t` (false for F32/F16/BF16/Q8_0).
bool usesImportance(Type t);

/// Quantize `rows` rows of `cols` floats (row-major, src.size() == rows·cols) to ggml blocks of
/// `t`, exactly as llama-quantize does (ggml_quantize_chunk). `importance` is empty or holds
/// `cols` non-negative weights, one per input column (llama-quantize's imatrix entry: the mean
/// squared activation of that column), shared by every row. `dst` must hold
/// rows·rowBytes(t, cols) bytes. Errors: a type Quench cannot write, cols not a multiple of the
/// block size, wrong sizes, a non-finite value or weight (named by row and column).
Status quantizeRows(Type t, std::span<const float> src, std::int64_t rows, std::int64_t cols,
                    std::span<const float> importance, std::span<std::uint8_t> dst);

/// quantizeRows on all cores (oneTBB, rows are independent), reporting progress in rows and
/// stopping promptly when work.stop is requested (then an Error saying so).
Status quantizeMatrix(Type t, std::span<const float> src, std::int64_t rows, std::int64_t cols,
                      std::span<const float> importance, std::span<std::uint8_t> dst, const Work& work = {});

/// ggml's from_float_ref (quantize_row_<type>_ref) for `t`: the same bytes as quantizeRows without
/// importance for every type but IQ4_NL, whose reference takes a single scale per block
/// (ntry = -1) where llama-quantize searches 15 scales (ntry = 7).
Status quantizeRowsReference(Type t, std::span<const float> src, std::int64_t rows, std::int64_t cols,
                             std::span<std::uint8_t> dst);

/// The check llama-quantize runs on what it wrote (ggml_validate_row_data): every fp16/bf16 scale
/// and every f32/f16/bf16 element finite. The error names the block.
Status validateRowData(Type t, std::span<const std::uint8_t> data);

/// ggml's float → IEEE half (GGML_FP32_TO_FP16): round to nearest even, overflow to ±inf, any
/// NaN to the quiet NaN 0x7E00 with the input's sign.
std::uint16_t fp32ToFp16(float f);
/// ggml's float → bfloat16 (ggml_compute_fp32_to_bf16): round to nearest even; a NaN keeps its
/// top 16 bits with the quiet bit forced.
std::uint16_t fp32ToBf16(float f);

}  // namespace quench::ggml
