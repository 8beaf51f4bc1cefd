#pragma once
// Entry points of the individual readers. openTensorFile() dispatches to these; fuzzers and tests
// call them directly on in-memory bytes.
#include <memory>

#include "core/io/mapped_file.h"
#include "core/io/reader.h"

namespace quench {

Result<std::unique_ptr<TensorReader>> openSafetensors(std::shared_ptr<MappedFile> file);
Result<std::unique_ptr<TensorReader>> openNpy(std::shared_ptr<MappedFile> file);
Result<std::unique_ptr<TensorReader>> openNpz(std::shared_ptr<MappedFile> file);
Result<std::unique_ptr<TensorReader>> openGguf(std::shared_ptr<MappedFile> file);
Result<std::unique_ptr<TensorReader>> openLlama2c(std::shared_ptr<MappedFile> file);
/// HDF5 reads through libhdf5; an in-memory image is opened with the core driver.
Result<std::unique_ptr<TensorReader>> openHdf5(std::shared_ptr<MappedFile> file);

}  // namespace quench
