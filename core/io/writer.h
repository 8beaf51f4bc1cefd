#pragma once
// Writers for safetensors and HDF5. Both write a temporary file beside the target and rename it
// into place, so a failure never leaves a half-written file and inputs are never touched.
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "core/io/reader.h"

namespace quench {

/// A tensor to be written: raw little-endian element bytes of an element dtype (not Q8_0/Q4_0).
struct OutTensor {
  std::string name;
  DType dtype = DType::F32;
  Shape shape;
  std::vector<std::uint8_t> data;

  static OutTensor fromFloats(std::string name, Shape shape, std::span<const float> values);
  static OutTensor fromInt8(std::string name, Shape shape, std::span<const std::int8_t> values);
  static OutTensor fromInt32(std::string name, Shape shape, std::span<const std::int32_t> values);
};

/// safetensors with the given __metadata__ (string values only, as the format requires).
Status writeSafetensors(const std::filesystem::path& path, const std::vector<OutTensor>& tensors,
                        const Metadata& metadata = {});
/// HDF5: a tensor named "a/b/c" becomes dataset c in group /a/b; metadata as root attributes.
Status writeHdf5(const std::filesystem::path& path, const std::vector<OutTensor>& tensors,
                 const Metadata& metadata = {});
/// Chooses by extension: .safetensors or .h5/.hdf5 (anything else is an error).
Status writeTensorFile(const std::filesystem::path& path, const std::vector<OutTensor>& tensors,
                       const Metadata& metadata = {});

}  // namespace quench
