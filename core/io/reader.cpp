#include "core/io/reader.h"

#include <algorithm>
#include <cstring>

#include "core/io/formats.h"

namespace quench {

std::optional<std::size_t> TensorReader::find(std::string_view name) const {
  const auto& ts = tensors();
  for (std::size_t i = 0; i < ts.size(); ++i)
    if (ts[i].name == name) return i;
  return std::nullopt;
}

std::span<const std::uint8_t> TensorReader::storedBytes(std::size_t) const { return {}; }

const std::vector<MetadataType>& TensorReader::metadataTypes() const {
  static const std::vector<MetadataType> kNone;
  return kNone;
}

Result<FloatTensor> TensorReader::readFloat(std::string_view name, const Work& work) const {
  if (auto i = find(name)) return readFloat(*i, work);
  return makeError(path() + ": no tensor named '" + std::string(name) + "'");
}

namespace {
bool startsWith(std::span<const std::uint8_t> b, std::string_view magic, std::size_t at = 0) {
  return b.size() >= at + magic.size() && std::memcmp(b.data() + at, magic.data(), magic.size()) == 0;
}
bool looksLikeHdf5(std::span<const std::uint8_t> b) {
  static constexpr std::string_view kSig{"\x89HDF\r\n\x1a\n", 8};
  // The superblock may sit at 0, 512, 1024, 2048, ... (user block).
  for (std::size_t at = 0; at + kSig.size() <= b.size(); at = at ? at * 2 : 512)
    if (startsWith(b, kSig, at)) return true;
  return false;
}
bool looksLikeSafetensors(std::span<const std::uint8_t> b) {
  if (b.size() < 10) return false;
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | b[i];
  return n >= 2 && n <= b.size() - 8 && b[8] == '{';
}
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}
}  // namespace

Result<std::unique_ptr<TensorReader>> openTensorFile(const std::filesystem::path& pathIn) {
  std::filesystem::path path = pathIn;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    const auto candidate = path / "model.safetensors";
    if (!std::filesystem::exists(candidate, ec))
      return makeError(path.string() + ": folder holds no model.safetensors");
    path = candidate;
  }
  auto mapped = MappedFile::open(path);
  if (!mapped) return mapped.error();
  auto file = std::move(mapped).value();
  const auto b = file->bytes();
  const std::string ext = lower(path.extension().string());

  if (startsWith(b, "\x93NUMPY")) return openNpy(file);
  if (startsWith(b, "GGUF")) return openGguf(file);
  if (looksLikeHdf5(b)) return openHdf5(file);
  if (startsWith(b, "PK\x03\x04") || startsWith(b, "PK\x05\x06")) return openNpz(file);
  if (ext == ".safetensors" || looksLikeSafetensors(b)) return openSafetensors(file);
  if (ext == ".bin") return openLlama2c(file);
  if (ext == ".npy") return openNpy(file);
  if (ext == ".npz") return openNpz(file);
  if (ext == ".gguf") return openGguf(file);
  if (ext == ".h5" || ext == ".hdf5") return openHdf5(file);
  if (b.empty()) return makeError(path.string() + ": file is empty");
  return makeError(path.string() +
                   ": unrecognised format (expected safetensors, HDF5, .npy/.npz, GGUF or a llama2.c .bin)");
}

}  // namespace quench
