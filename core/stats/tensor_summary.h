#pragma once
// Statistics of a stored tensor at its own precision (issue 11): quench-cli inspect --stats and the
// Statistics dock. The values are read as the file stores them, in chunks, never as a whole-tensor
// float32 copy when the reader maps the file: float64 and 32/64-bit integers are summarized in
// double from their own values; every other type (f32, f16, bf16, fp8, 8/16-bit integers, ggml
// blocks) is exact in float32, so its float values are its stored values.
#include <cstddef>

#include "core/exec/progress.h"
#include "core/io/reader.h"
#include "core/stats/summary.h"
#include "core/tensor/result.h"

namespace quench {

/// True when converting `t` to float32 loses nothing (so a float summary is the stored values').
bool floatHoldsExactly(DType t);

/// Summary (count, NaN/Inf, min, max, mean, population std, absmax) of tensor `index` from its
/// stored values, accumulated in double. Mapped tensors (storedBytes) are streamed in parallel
/// chunks of 64 Ki elements whose pages are released from the resident set as they are done, so
/// statistics of a 16 GB checkpoint stay within a few hundred MB of RSS. Other readers give their
/// stored values (readStored) or, for ggml blocks, their float values. `decoded`, when given, is the
/// tensor already read as float32: used instead of reading again when that is exact. Errors name
/// the file and the tensor; a cancelled run is an error saying so.
Result<Summary> summarizeStored(const TensorReader& reader, std::size_t index, const Work& work = {},
                                const FloatTensor* decoded = nullptr);

/// Summary of `count` little-endian elements of element type `t` at `bytes` (no alignment needed),
/// in parallel chunks; float64 and wide integers in double. Check work.cancelled() afterwards: a
/// cancelled run returns what it had done.
Summary summarizeElements(DType t, const std::uint8_t* bytes, std::size_t count, const Work& work = {});

}  // namespace quench
