#include "core/io/reader.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "core/io/formats.h"
#include "core/io/safetensors_index.h"

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

Result<std::vector<std::uint8_t>> TensorReader::readStored(std::size_t index, const Work& work) const {
  if (index >= tensors().size())
    return makeError(path() + ": tensor index " + std::to_string(index) + " out of range");
  const TensorInfo& info = tensors()[index];
  if (info.bytes == 0) return std::vector<std::uint8_t>{};
  if (const auto raw = storedBytes(index); raw.size() == info.bytes) return std::vector<std::uint8_t>(raw.begin(), raw.end());
  // A reader that neither maps nor overrides this produces float32 (the demo): its floats are its
  // stored values.
  if (info.dtype == DType::F32) {
    auto values = readFloat(index, work);
    if (!values) return values.error();
    std::vector<std::uint8_t> out(values->values.size() * sizeof(float));
    if (!out.empty()) std::memcpy(out.data(), values->values.data(), out.size());
    return out;
  }
  return makeError(path() + ": tensor '" + info.name + "': its stored " + std::string(dtypeName(info.dtype)) +
                   " values cannot be read as stored from a " + std::string(format()) + " file");
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

// A folder is a Hugging Face checkpoint: model.safetensors (preferred when both exist, as
// transformers does), else model.safetensors.index.json and its shards, else the folder's only
// .safetensors file.
Result<std::unique_ptr<TensorReader>> openFolder(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_regular_file(dir / "model.safetensors", ec)) return openTensorFile(dir / "model.safetensors");
  if (fs::exists(dir / kSafetensorsIndexName, ec)) return openSafetensorsIndexFile(dir / kSafetensorsIndexName);
  std::vector<std::string> found;
  bool pickle = false;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (lower(it->path().extension().string()) == ".safetensors") found.push_back(name);
    if (name.rfind("pytorch_model", 0) == 0 && name.find(".bin") != std::string::npos) pickle = true;
  }
  if (ec) return makeError(dir.string() + ": cannot list the folder: " + ec.message());
  if (found.size() == 1) return openTensorFile(dir / found.front());
  std::sort(found.begin(), found.end());
  std::string msg = dir.string() + ": folder holds no model.safetensors and no " + std::string(kSafetensorsIndexName);
  if (found.size() > 1) {
    msg += "; its " + std::to_string(found.size()) + " .safetensors files (" + found[0] + ", " + found[1] +
           (found.size() > 2 ? ", ..." : "") + ") need the index to be one model: open one file instead";
  } else if (pickle) {
    msg += " (pytorch_model*.bin are PyTorch pickles, which Quench does not read: convert them to safetensors)";
  }
  return makeError(msg);
}
}  // namespace

Result<std::unique_ptr<TensorReader>> openTensorFile(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return openFolder(path);
  const std::string fileName = lower(path.filename().string());
  constexpr std::string_view kIndexSuffix = ".safetensors.index.json";
  if (fileName.size() > kIndexSuffix.size() &&
      fileName.compare(fileName.size() - kIndexSuffix.size(), kIndexSuffix.size(), kIndexSuffix) == 0)
    return openSafetensorsIndexFile(path);
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
