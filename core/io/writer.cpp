// Writers for safetensors and HDF5. Both write "<target>.tmp-<pid>" in the target's folder, fsync
// it, then rename it over the target; on any failure the temporary file is removed and the target
// is left as it was. Writing onto a file that a reader has open is safe for that reader: rename
// replaces the directory entry, the reader's mapping keeps the old inode alive and unchanged.
#include "core/io/writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "core/io/hdf5_support.h"

namespace quench {
namespace {

static_assert(std::endian::native == std::endian::little, "writers store host bytes as little-endian");

template <class T>
OutTensor fromValues(std::string name, Shape shape, DType dtype, std::span<const T> values) {
  OutTensor t;
  t.name = std::move(name);
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.data.resize(values.size_bytes());
  if (!values.empty()) std::memcpy(t.data.data(), values.data(), values.size_bytes());
  return t;
}

std::string errnoText() { return std::strerror(errno); }

// Checks what both formats need: a usable name, an element dtype, data size = elements × size.
Status validate(const std::string& where, const std::vector<OutTensor>& tensors) {
  std::set<std::string> names;
  for (const OutTensor& t : tensors) {
    const std::string ctx = where + ": tensor '" + t.name + "': ";
    if (t.name.empty()) return makeError(where + ": a tensor has an empty name");
    if (!names.insert(t.name).second) return makeError(ctx + "name used twice");
    if (dtypeSize(t.dtype) == 0) return makeError(ctx + "block dtype " + std::string(dtypeName(t.dtype)) + " cannot be written");
    const auto count = checkedElementCount(t.shape);
    if (!count) return makeError(ctx + "invalid shape " + shapeToString(t.shape));
    if (*count > t.data.size() / dtypeSize(t.dtype) || *count * dtypeSize(t.dtype) != t.data.size())
      return makeError(ctx + std::to_string(t.data.size()) + " data bytes for shape " + shapeToString(t.shape) +
                       " of " + std::string(dtypeName(t.dtype)));
  }
  return {};
}

// The temporary file beside the target; removed on destruction unless committed.
class TempFile {
 public:
  explicit TempFile(const std::filesystem::path& target)
      : m_target(target), m_path(target.string() + ".tmp-" + std::to_string(::getpid())) {}
  ~TempFile() {
    if (!m_committed) ::unlink(m_path.c_str());
  }
  const std::string& path() const { return m_path; }
  // fsync the finished temporary file, rename it onto the target and fsync the folder.
  Status commit() {
    const int fd = ::open(m_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return makeError(m_path + ": cannot reopen for fsync: " + errnoText());
    const bool synced = ::fsync(fd) == 0;
    const std::string syncErr = synced ? std::string() : errnoText();
    ::close(fd);
    if (!synced) return makeError(m_path + ": fsync failed: " + syncErr);
    if (::rename(m_path.c_str(), m_target.c_str()) != 0)
      return makeError(m_target.string() + ": cannot rename the temporary file into place: " + errnoText());
    m_committed = true;
    const std::string dir = m_target.has_parent_path() ? m_target.parent_path().string() : ".";
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);  // best effort: the rename is durable once the folder is synced
      ::close(dfd);
    }
    return {};
  }

 private:
  std::filesystem::path m_target;
  std::string m_path;
  bool m_committed = false;
};

Status writeAll(int fd, const std::string& where, const void* data, std::size_t size) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, std::min<std::size_t>(size, std::size_t{1} << 30));
    if (n < 0) {
      if (errno == EINTR) continue;
      return makeError(where + ": write failed: " + errnoText());
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return {};
}

std::string lowerExtension(const std::filesystem::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  return e;
}

// ---------------------------------------------------------------------------------------------
// HDF5

using io::H5Id;

// File datatype for a dtype, little-endian. F16 is the 2-byte IEEE type h5py uses for float16.
H5Id hdf5Type(DType t) {
  auto copy = [](hid_t id) { return H5Id(H5Tcopy(id), H5Tclose); };
  switch (t) {
    case DType::F64: return copy(H5T_IEEE_F64LE);
    case DType::F32: return copy(H5T_IEEE_F32LE);
    case DType::F16: {
      H5Id h = copy(H5T_IEEE_F32LE);
      if (!h.valid() || H5Tset_fields(h.get(), 15, 10, 5, 0, 10) < 0 || H5Tset_size(h.get(), 2) < 0 ||
          H5Tset_ebias(h.get(), 15) < 0)
        return {};
      return h;
    }
    case DType::I8: return copy(H5T_STD_I8LE);
    case DType::U8: return copy(H5T_STD_U8LE);
    case DType::Bool: return copy(H5T_STD_U8LE);  // no bool in HDF5's atomic types: stored as 0/1 bytes
    case DType::I16: return copy(H5T_STD_I16LE);
    case DType::U16: return copy(H5T_STD_U16LE);
    case DType::I32: return copy(H5T_STD_I32LE);
    case DType::U32: return copy(H5T_STD_U32LE);
    case DType::I64: return copy(H5T_STD_I64LE);
    case DType::U64: return copy(H5T_STD_U64LE);
    default: return {};  // BF16 and FP8 have no HDF5 counterpart that other tools read
  }
}

// Valid dataset path: components separated by single '/', none empty, "." or "..".
bool validHdf5Name(const std::string& name) {
  if (name.front() == '/' || name.back() == '/') return false;
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t end = std::min(name.find('/', start), name.size());
    const std::string part = name.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

Status writeHdf5Body(const std::string& tmp, const std::string& where, const std::vector<OutTensor>& tensors,
                     const Metadata& metadata) {
  std::lock_guard lock(io::hdf5Mutex());
  io::hdf5Init();
  H5Id file(H5Fcreate(tmp.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  if (!file.valid()) return makeError(where + ": cannot create HDF5 file: " + io::hdf5ErrorText());
  H5Id lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  if (!lcpl.valid() || H5Pset_create_intermediate_group(lcpl.get(), 1) < 0)
    return makeError(where + ": " + io::hdf5ErrorText());

  for (const OutTensor& t : tensors) {
    const std::string ctx = where + ": tensor '" + t.name + "': ";
    if (!validHdf5Name(t.name)) return makeError(ctx + "not a valid HDF5 path (empty, '.' or '..' component)");
    H5Id type = hdf5Type(t.dtype);
    if (!type.valid())
      return makeError(ctx + "dtype " + std::string(dtypeName(t.dtype)) + " cannot be stored in HDF5");
    std::vector<hsize_t> dims(t.shape.begin(), t.shape.end());
    H5Id space(dims.empty() ? H5Screate(H5S_SCALAR)
                            : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
               H5Sclose);
    if (!space.valid()) return makeError(ctx + "cannot create dataspace: " + io::hdf5ErrorText());
    H5Id ds(H5Dcreate2(file.get(), t.name.c_str(), type.get(), space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
            H5Dclose);
    if (!ds.valid()) return makeError(ctx + "cannot create dataset: " + io::hdf5ErrorText());
    // The bytes are already in the file type's layout (little-endian): no conversion happens.
    if (!t.data.empty() && H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data.data()) < 0)
      return makeError(ctx + "write failed: " + io::hdf5ErrorText());
  }

  // Fixed-length (not variable-length) strings: the reader does not read variable-length ones,
  // since libhdf5 1.10 trusts their stored global-heap lengths (see core/io/hdf5.cpp). HDF5 keeps
  // attributes compact, so one value must stay under 64 KiB.
  H5Id scalar(H5Screate(H5S_SCALAR), H5Sclose);
  for (const auto& [key, value] : metadata) {
    H5Id strType(H5Tcopy(H5T_C_S1), H5Tclose);
    if (!strType.valid() || H5Tset_size(strType.get(), std::max<std::size_t>(1, value.size())) < 0 ||
        H5Tset_strpad(strType.get(), H5T_STR_NULLPAD) < 0 || H5Tset_cset(strType.get(), H5T_CSET_UTF8) < 0)
      return makeError(where + ": " + io::hdf5ErrorText());
    H5Id attr(H5Acreate2(file.get(), key.c_str(), strType.get(), scalar.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    const std::string padded = value.empty() ? std::string(1, '\0') : value;
    if (!attr.valid() || H5Awrite(attr.get(), strType.get(), padded.data()) < 0)
      return makeError(where + ": metadata '" + key + "': cannot write attribute: " + io::hdf5ErrorText());
  }
  if (H5Fflush(file.get(), H5F_SCOPE_GLOBAL) < 0) return makeError(where + ": flush failed: " + io::hdf5ErrorText());
  file.reset();
  return {};
}

}  // namespace

OutTensor OutTensor::fromFloats(std::string name, Shape shape, std::span<const float> values) {
  return fromValues(std::move(name), std::move(shape), DType::F32, values);
}
OutTensor OutTensor::fromInt8(std::string name, Shape shape, std::span<const std::int8_t> values) {
  return fromValues(std::move(name), std::move(shape), DType::I8, values);
}
OutTensor OutTensor::fromInt32(std::string name, Shape shape, std::span<const std::int32_t> values) {
  return fromValues(std::move(name), std::move(shape), DType::I32, values);
}

Status writeSafetensors(const std::filesystem::path& path, const std::vector<OutTensor>& tensors,
                        const Metadata& metadata) {
  const std::string where = path.string();
  if (auto st = validate(where, tensors); !st) return st;
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    auto& md = header["__metadata__"];
    md = nlohmann::ordered_json::object();
    for (const auto& [k, v] : metadata) md[k] = v;
  }
  std::uint64_t offset = 0;
  for (const OutTensor& t : tensors) {
    if (t.name == "__metadata__") return makeError(where + ": a tensor may not be called __metadata__");
    header[t.name] = {{"dtype", dtypeName(t.dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + t.data.size()}}};
    offset += t.data.size();
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const std::exception& ex) {  // invalid UTF-8 in a name or value
    return makeError(where + ": cannot encode the header: " + ex.what());
  }
  // Pad with spaces so the data buffer starts 8-byte aligned (the format's recommendation).
  text.append((8 - text.size() % 8) % 8, ' ');
  std::uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(text.size()) >> (8 * i));

  TempFile tmp(path);
  const int fd = ::open(tmp.path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return makeError(tmp.path() + ": cannot create: " + errnoText());
  Status st = writeAll(fd, tmp.path(), len, sizeof len);
  if (st) st = writeAll(fd, tmp.path(), text.data(), text.size());
  for (const OutTensor& t : tensors) {
    if (!st) break;
    st = writeAll(fd, tmp.path(), t.data.data(), t.data.size());
  }
  if (::close(fd) != 0 && st) st = makeError(tmp.path() + ": close failed: " + errnoText());
  if (!st) return st;
  return tmp.commit();
}

Status writeHdf5(const std::filesystem::path& path, const std::vector<OutTensor>& tensors, const Metadata& metadata) {
  const std::string where = path.string();
  if (auto st = validate(where, tensors); !st) return st;
  TempFile tmp(path);
  if (auto st = writeHdf5Body(tmp.path(), where, tensors, metadata); !st) return st;
  return tmp.commit();
}

Status writeTensorFile(const std::filesystem::path& path, const std::vector<OutTensor>& tensors,
                       const Metadata& metadata) {
  const std::string ext = lowerExtension(path);
  if (ext == ".safetensors") return writeSafetensors(path, tensors, metadata);
  if (ext == ".h5" || ext == ".hdf5") return writeHdf5(path, tensors, metadata);
  return makeError(path.string() + ": unknown output extension '" + ext + "' (use .safetensors, .h5 or .hdf5)");
}

}  // namespace quench
