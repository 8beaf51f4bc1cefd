// Writers for safetensors, HDF5 and .npz. Each writes "<target>.tmp-<pid>-<n>" in the target's
// folder, fsyncs it, then renames it over the target; on any failure the temporary file is removed
// and the target is left as it was. Writing onto a file that a reader has open is safe for that
// reader: rename replaces the directory entry, the reader's mapping keeps the old inode alive and
// unchanged. The list writers are the streaming writers fed from memory.
// Length (~680 lines): the three formats' writers are small; most of the file is the one
// streaming TensorFileWriter they share (plan checks, temp file, fsync, rename), kept together so
// the atomicity argument is read in one place.
#include "core/io/writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <limits>
#include <set>

#include "core/io/atomic_file.h"
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

// The temporary file beside the target; removed on destruction unless committed. The counter keeps
// two writers of one process (two threads exporting) from sharing a name.
class TempFile {
 public:
  explicit TempFile(const std::filesystem::path& target)
      : m_target(target), m_path(temporaryPathBeside(target)) {}
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
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
    if (auto st = renameIntoPlace(m_path, m_target); !st) return st;
    m_committed = true;
    return {};
  }

 private:
  std::filesystem::path m_target;
  std::string m_path;
  bool m_committed = false;
};

Status writeAll(int fd, const std::string& where, const void* data, std::size_t size) {
  return writeFully(fd, where, std::span(static_cast<const std::uint8_t*>(data), size));
}

std::string lowerExtension(const std::filesystem::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  return e;
}

// Bytes of a planned tensor; nullopt when the shape is invalid or the size overflows.
std::optional<std::uint64_t> plannedBytes(const TensorPlan& t) {
  const auto count = checkedElementCount(t.shape);
  const std::uint64_t size = dtypeSize(t.dtype);
  if (!count || size == 0 || *count > std::numeric_limits<std::uint64_t>::max() / size) return std::nullopt;
  return *count * size;
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

// ---------------------------------------------------------------------------------------------
// Plan validation, shared by the three formats.

Status validatePlan(const std::string& where, OutFormat format, const std::vector<TensorPlan>& plan) {
  std::set<std::string> names;
  for (const TensorPlan& t : plan) {
    const std::string ctx = where + ": tensor '" + t.name + "': ";
    if (t.name.empty()) return makeError(where + ": a tensor has an empty name");
    if (!names.insert(t.name).second) return makeError(ctx + "name used twice");
    if (auto why = cannotStore(format, t.dtype)) return makeError(ctx + *why);
    if (!plannedBytes(t)) return makeError(ctx + "invalid shape " + shapeToString(t.shape));
    if (format == OutFormat::Safetensors && t.name == "__metadata__")
      return makeError(where + ": a tensor may not be called __metadata__");
    if (format == OutFormat::Hdf5 && !validHdf5Name(t.name))
      return makeError(ctx + "not a valid HDF5 path (empty, '.' or '..' component)");
    if (format == OutFormat::Npz && t.name.find('\0') != std::string::npos)
      return makeError(ctx + "a NUL byte cannot be part of a ZIP member name");
  }
  return {};
}

// Common bookkeeping: the plan, the next index, the size check of each write.
class PlannedWriter : public TensorFileWriter {
 public:
  PlannedWriter(std::filesystem::path target, std::vector<TensorPlan> plan)
      : m_where(target.string()), m_tmp(target), m_plan(std::move(plan)) {}
  std::size_t written() const override { return m_next; }

 protected:
  // The planned tensor `bytes` is for, or an error (all written, or the wrong size).
  Result<const TensorPlan*> next(std::span<const std::uint8_t> bytes) const {
    if (m_failed) return makeError(m_where + ": an earlier write failed");
    if (m_next >= m_plan.size())
      return makeError(m_where + ": all " + std::to_string(m_plan.size()) + " planned tensors were already written");
    const TensorPlan& t = m_plan[m_next];
    const std::uint64_t expected = *plannedBytes(t);
    if (bytes.size() != expected)
      return makeError(m_where + ": tensor '" + t.name + "': " + std::to_string(bytes.size()) + " data bytes for shape " +
                       shapeToString(t.shape) + " of " + std::string(dtypeName(t.dtype)) + " (" +
                       std::to_string(expected) + " expected)");
    return &t;
  }
  Status checkComplete() const {
    if (m_failed) return makeError(m_where + ": an earlier write failed");
    if (m_next != m_plan.size())
      return makeError(m_where + ": only " + std::to_string(m_next) + " of " + std::to_string(m_plan.size()) +
                       " planned tensors were written");
    return {};
  }
  Status track(Status st) {
    if (st) ++m_next;
    else m_failed = true;
    return st;
  }

  std::string m_where;
  TempFile m_tmp;
  std::vector<TensorPlan> m_plan;
  std::size_t m_next = 0;
  bool m_failed = false;
};

// A file descriptor closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : m_fd(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (m_fd >= 0) ::close(m_fd);
  }
  int get() const { return m_fd; }
  // Close now, reporting the error close() may give (delayed write errors on some file systems).
  Status close(const std::string& where) {
    const int fd = std::exchange(m_fd, -1);
    if (fd >= 0 && ::close(fd) != 0) return makeError(where + ": close failed: " + errnoText());
    return {};
  }

 private:
  int m_fd = -1;
};

// ---------------------------------------------------------------------------------------------
// safetensors: the header (every offset is known from the plan) first, then each tensor's bytes.

class SafetensorsWriter final : public PlannedWriter {
 public:
  using PlannedWriter::PlannedWriter;

  Status begin(const Metadata& metadata) {
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty()) {
      auto& md = header["__metadata__"];
      md = nlohmann::ordered_json::object();
      for (const auto& [k, v] : metadata) md[k] = v;
    }
    std::uint64_t offset = 0;
    for (const TensorPlan& t : m_plan) {
      const std::uint64_t n = *plannedBytes(t);
      header[t.name] = {{"dtype", dtypeName(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + n}}};
      offset += n;
    }
    std::string text;
    try {
      text = header.dump();
    } catch (const std::exception& ex) {  // invalid UTF-8 in a name or value
      return makeError(m_where + ": cannot encode the header: " + ex.what());
    }
    // Pad with spaces so the data buffer starts 8-byte aligned (the format's recommendation).
    text.append((8 - text.size() % 8) % 8, ' ');
    std::uint8_t len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(text.size()) >> (8 * i));
    const int fd = ::open(m_tmp.path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return makeError(m_tmp.path() + ": cannot create: " + errnoText());
    m_fd = std::make_unique<Fd>(fd);
    Status st = writeAll(fd, m_tmp.path(), len, sizeof len);
    if (st) st = writeAll(fd, m_tmp.path(), text.data(), text.size());
    return st;
  }

  Status write(std::span<const std::uint8_t> bytes) override {
    auto t = next(bytes);
    if (!t) return t.error();
    return track(writeAll(m_fd->get(), m_tmp.path(), bytes.data(), bytes.size()));
  }

  Status commit() override {
    if (auto st = checkComplete(); !st) return st;
    if (auto st = m_fd->close(m_tmp.path()); !st) return st;
    return m_tmp.commit();
  }

 private:
  std::unique_ptr<Fd> m_fd;
};

// ---------------------------------------------------------------------------------------------
// HDF5: the file is created with its attributes, then reopened for each tensor. No HDF5 handle
// stays open between calls: the HDF5 reader forks children that check no handle is open, and a
// convert from HDF5 to HDF5 interleaves reads and writes.

class Hdf5Writer final : public PlannedWriter {
 public:
  using PlannedWriter::PlannedWriter;

  Status begin(const Metadata& metadata) {
    std::lock_guard lock(io::hdf5Mutex());
    io::hdf5Init();
    H5Id file(H5Fcreate(m_tmp.path().c_str(), H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    if (!file.valid()) return makeError(m_where + ": cannot create HDF5 file: " + io::hdf5ErrorText());
    // Fixed-length (not variable-length) strings: the reader does not read variable-length ones,
    // since libhdf5 1.10 trusts their stored global-heap lengths (see core/io/hdf5.cpp). HDF5 keeps
    // attributes compact, so one value must stay under 64 KiB.
    H5Id scalar(H5Screate(H5S_SCALAR), H5Sclose);
    for (const auto& [key, value] : metadata) {
      H5Id strType(H5Tcopy(H5T_C_S1), H5Tclose);
      if (!strType.valid() || H5Tset_size(strType.get(), std::max<std::size_t>(1, value.size())) < 0 ||
          H5Tset_strpad(strType.get(), H5T_STR_NULLPAD) < 0 || H5Tset_cset(strType.get(), H5T_CSET_UTF8) < 0)
        return makeError(m_where + ": " + io::hdf5ErrorText());
      H5Id attr(H5Acreate2(file.get(), key.c_str(), strType.get(), scalar.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
      const std::string padded = value.empty() ? std::string(1, '\0') : value;
      if (!attr.valid() || H5Awrite(attr.get(), strType.get(), padded.data()) < 0)
        return makeError(m_where + ": metadata '" + key + "': cannot write attribute: " + io::hdf5ErrorText());
    }
    return {};
  }

  Status write(std::span<const std::uint8_t> bytes) override {
    auto t = next(bytes);
    if (!t) return t.error();
    return track(writeDataset(**t, bytes));
  }

  Status commit() override {
    if (auto st = checkComplete(); !st) return st;
    return m_tmp.commit();
  }

 private:
  Status writeDataset(const TensorPlan& t, std::span<const std::uint8_t> bytes) {
    const std::string ctx = m_where + ": tensor '" + t.name + "': ";
    std::lock_guard lock(io::hdf5Mutex());
    H5Id file(H5Fopen(m_tmp.path().c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
    if (!file.valid()) return makeError(m_where + ": cannot reopen the HDF5 file: " + io::hdf5ErrorText());
    H5Id lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
    if (!lcpl.valid() || H5Pset_create_intermediate_group(lcpl.get(), 1) < 0)
      return makeError(m_where + ": " + io::hdf5ErrorText());
    H5Id type = hdf5Type(t.dtype);
    if (!type.valid()) return makeError(ctx + "dtype " + std::string(dtypeName(t.dtype)) + " cannot be stored in HDF5");
    std::vector<hsize_t> dims(t.shape.begin(), t.shape.end());
    H5Id space(dims.empty() ? H5Screate(H5S_SCALAR) : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
               H5Sclose);
    if (!space.valid()) return makeError(ctx + "cannot create dataspace: " + io::hdf5ErrorText());
    H5Id ds(H5Dcreate2(file.get(), t.name.c_str(), type.get(), space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
            H5Dclose);
    if (!ds.valid()) return makeError(ctx + "cannot create dataset: " + io::hdf5ErrorText());
    // The bytes are already in the file type's layout (little-endian): no conversion happens.
    if (!bytes.empty() && H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()) < 0)
      return makeError(ctx + "write failed: " + io::hdf5ErrorText());
    ds.reset();
    if (H5Fflush(file.get(), H5F_SCOPE_GLOBAL) < 0) return makeError(m_where + ": flush failed: " + io::hdf5ErrorText());
    return {};
  }
};

// ---------------------------------------------------------------------------------------------
// .npz: a ZIP archive of stored (method 0) members "<name>.npy", as np.savez writes. Each member's
// local header is written before its data, complete: the sizes are known from the plan and the
// CRC-32 is computed over the bytes in hand before they are written. ZIP64 records are used where a size or
// offset does not fit 32 bits (or always, with forceZip64). Timestamps are fixed (1980-01-01) so
// that one input always gives the same bytes.

constexpr std::uint32_t kZipLocalSig = 0x04034b50;
constexpr std::uint32_t kZipCentralSig = 0x02014b50;
constexpr std::uint32_t kZipEndSig = 0x06054b50;
constexpr std::uint32_t kZip64EndSig = 0x06064b50;
constexpr std::uint32_t kZip64LocatorSig = 0x07064b50;
constexpr std::uint32_t kU32Max = 0xFFFFFFFFu;
constexpr std::uint16_t kDosDate1980 = (0 << 9) | (1 << 5) | 1;  // 1980-01-01

void put16(std::string& b, std::uint16_t v) {
  b.push_back(static_cast<char>(v & 0xFF));
  b.push_back(static_cast<char>(v >> 8));
}
void put32(std::string& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void put64(std::string& b, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// The npy descr of an element dtype (nullptr for types NumPy lacks).
const char* npyDescr(DType t) {
  switch (t) {
    case DType::F64: return "<f8";
    case DType::F32: return "<f4";
    case DType::F16: return "<f2";
    case DType::I8: return "|i1";
    case DType::U8: return "|u1";
    case DType::I16: return "<i2";
    case DType::U16: return "<u2";
    case DType::I32: return "<i4";
    case DType::U32: return "<u4";
    case DType::I64: return "<i8";
    case DType::U64: return "<u8";
    case DType::Bool: return "|b1";
    default: return nullptr;
  }
}

// The .npy preamble + header of a C-order array, padded with spaces to a multiple of 64 bytes and
// ending in '\n', as numpy.lib.format writes it (version 1.0; 2.0 when the header needs more than
// 65535 bytes).
std::string npyHeader(const TensorPlan& t) {
  std::string shape = "(";
  for (std::size_t i = 0; i < t.shape.size(); ++i) shape += (i ? ", " : "") + std::to_string(t.shape[i]);
  if (t.shape.size() == 1) shape += ",";
  shape += ")";
  std::string dict = std::string("{'descr': '") + npyDescr(t.dtype) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  const bool v2 = dict.size() + 11 + 64 > 65535;
  const std::size_t pre = v2 ? 12 : 10;
  dict.append((64 - (pre + dict.size() + 1) % 64) % 64, ' ');
  dict += '\n';
  std::string out("\x93NUMPY", 6);
  out.push_back(static_cast<char>(v2 ? 2 : 1));
  out.push_back(0);
  if (v2) put32(out, static_cast<std::uint32_t>(dict.size()));
  else put16(out, static_cast<std::uint16_t>(dict.size()));
  return out + dict;
}

class NpzWriter final : public PlannedWriter {
 public:
  NpzWriter(std::filesystem::path target, std::vector<TensorPlan> plan, WriteOptions options)
      : PlannedWriter(std::move(target), std::move(plan)), m_options(options) {}

  Status begin() {
    const int fd = ::open(m_tmp.path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return makeError(m_tmp.path() + ": cannot create: " + errnoText());
    m_fd = std::make_unique<Fd>(fd);
    return {};
  }

  Status write(std::span<const std::uint8_t> bytes) override {
    auto t = next(bytes);
    if (!t) return t.error();
    return track(writeMember(**t, bytes));
  }

  Status commit() override {
    if (auto st = checkComplete(); !st) return st;
    if (auto st = writeCentralDirectory(); !st) return st;
    if (auto st = m_fd->close(m_tmp.path()); !st) return st;
    return m_tmp.commit();
  }

 private:
  struct Member {
    std::string name;
    std::uint32_t crc = 0;
    std::uint64_t size = 0;    // stored = compressed = uncompressed
    std::uint64_t offset = 0;  // of the local header
    bool zip64 = false;
  };

  static std::uint16_t flagsFor(const std::string& name) {
    // Bit 11: the name is UTF-8 (Python's zipfile decodes names as cp437 otherwise).
    return std::any_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }) ? 0x0800
                                                                                                                : 0;
  }

  Status writeMember(const TensorPlan& t, std::span<const std::uint8_t> bytes) {
    Member m;
    m.name = t.name + ".npy";
    const std::string npy = npyHeader(t);
    m.size = npy.size() + bytes.size();
    m.offset = m_at;
    m.zip64 = m_options.forceZip64 || m.size >= kU32Max || m.offset >= kU32Max;
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(npy.data()), static_cast<uInt>(npy.size()));
    for (std::size_t at = 0; at < bytes.size();) {  // zlib counts in uInt
      const std::size_t n = std::min<std::size_t>(bytes.size() - at, std::size_t{1} << 30);
      crc = crc32(crc, bytes.data() + at, static_cast<uInt>(n));
      at += n;
    }
    m.crc = static_cast<std::uint32_t>(crc);

    std::string local;
    put32(local, kZipLocalSig);
    put16(local, m.zip64 ? 45 : 20);  // version needed: 4.5 for ZIP64
    put16(local, flagsFor(m.name));
    put16(local, 0);  // stored
    put16(local, 0);  // time 00:00:00
    put16(local, kDosDate1980);
    put32(local, m.crc);
    put32(local, m.zip64 ? kU32Max : static_cast<std::uint32_t>(m.size));
    put32(local, m.zip64 ? kU32Max : static_cast<std::uint32_t>(m.size));
    put16(local, static_cast<std::uint16_t>(m.name.size()));
    put16(local, m.zip64 ? 20 : 0);
    local += m.name;
    if (m.zip64) {
      put16(local, 0x0001);
      put16(local, 16);
      put64(local, m.size);  // uncompressed
      put64(local, m.size);  // compressed
    }
    const int fd = m_fd->get();
    Status st = writeAll(fd, m_tmp.path(), local.data(), local.size());
    if (st) st = writeAll(fd, m_tmp.path(), npy.data(), npy.size());
    if (st) st = writeAll(fd, m_tmp.path(), bytes.data(), bytes.size());
    if (!st) return st;
    m_at += local.size() + m.size;
    m_members.push_back(std::move(m));
    return {};
  }

  Status writeCentralDirectory() {
    std::string cd;
    for (const Member& m : m_members) {
      const bool bigSize = m.zip64;
      const bool bigOffset = m.zip64 || m.offset >= kU32Max;
      std::string extra;
      if (bigSize || bigOffset) {
        std::string body;
        if (bigSize) {
          put64(body, m.size);
          put64(body, m.size);
        }
        if (bigOffset) put64(body, m.offset);
        put16(extra, 0x0001);
        put16(extra, static_cast<std::uint16_t>(body.size()));
        extra += body;
      }
      put32(cd, kZipCentralSig);
      put16(cd, (3 << 8) | 45);  // made by: Unix, spec 4.5
      put16(cd, extra.empty() ? 20 : 45);
      put16(cd, flagsFor(m.name));
      put16(cd, 0);
      put16(cd, 0);
      put16(cd, kDosDate1980);
      put32(cd, m.crc);
      put32(cd, bigSize ? kU32Max : static_cast<std::uint32_t>(m.size));
      put32(cd, bigSize ? kU32Max : static_cast<std::uint32_t>(m.size));
      put16(cd, static_cast<std::uint16_t>(m.name.size()));
      put16(cd, static_cast<std::uint16_t>(extra.size()));
      put16(cd, 0);                // comment length
      put16(cd, 0);                // disk number start
      put16(cd, 0);                // internal attributes
      put32(cd, 0100644u << 16);   // external attributes: a regular file, rw-r--r--
      put32(cd, bigOffset ? kU32Max : static_cast<std::uint32_t>(m.offset));
      cd += m.name;
      cd += extra;
    }
    const std::uint64_t cdOffset = m_at;
    const std::uint64_t cdSize = cd.size();
    const std::uint64_t entries = m_members.size();
    const bool zip64End = m_options.forceZip64 || entries >= 0xFFFF || cdOffset >= kU32Max || cdSize >= kU32Max;
    if (zip64End) {
      const std::uint64_t endOffset = cdOffset + cdSize;
      put32(cd, kZip64EndSig);
      put64(cd, 44);  // size of the rest of this record
      put16(cd, (3 << 8) | 45);
      put16(cd, 45);
      put32(cd, 0);
      put32(cd, 0);
      put64(cd, entries);
      put64(cd, entries);
      put64(cd, cdSize);
      put64(cd, cdOffset);
      put32(cd, kZip64LocatorSig);
      put32(cd, 0);
      put64(cd, endOffset);
      put32(cd, 1);
    }
    put32(cd, kZipEndSig);
    put16(cd, 0);
    put16(cd, 0);
    put16(cd, zip64End ? 0xFFFF : static_cast<std::uint16_t>(entries));
    put16(cd, zip64End ? 0xFFFF : static_cast<std::uint16_t>(entries));
    put32(cd, zip64End ? kU32Max : static_cast<std::uint32_t>(cdSize));
    put32(cd, zip64End ? kU32Max : static_cast<std::uint32_t>(cdOffset));
    put16(cd, 0);
    return writeAll(m_fd->get(), m_tmp.path(), cd.data(), cd.size());
  }

  WriteOptions m_options;
  std::unique_ptr<Fd> m_fd;
  std::uint64_t m_at = 0;
  std::vector<Member> m_members;
};

std::vector<TensorPlan> planOf(const std::vector<OutTensor>& tensors) {
  std::vector<TensorPlan> plan;
  plan.reserve(tensors.size());
  for (const OutTensor& t : tensors) plan.push_back({t.name, t.dtype, t.shape});
  return plan;
}

Status writeList(const std::filesystem::path& path, OutFormat format, const std::vector<OutTensor>& tensors,
                 const Metadata& metadata, const WriteOptions& options) {
  // The format is given: writeSafetensors("x.bin", ...) writes safetensors whatever the name.
  auto writer = createTensorFileWriter(path, format, planOf(tensors), metadata, options);
  if (!writer) return writer.error();
  for (const OutTensor& t : tensors)
    if (auto st = (*writer)->write(t.data); !st) return st;
  return (*writer)->commit();
}

}  // namespace

Result<OutFormat> outFormatFor(const std::filesystem::path& path) {
  const std::string ext = lowerExtension(path);
  if (ext == ".safetensors") return OutFormat::Safetensors;
  if (ext == ".h5" || ext == ".hdf5") return OutFormat::Hdf5;
  if (ext == ".npz") return OutFormat::Npz;
  return makeError(path.string() + ": unknown output extension '" + ext + "' (use .safetensors, .h5, .hdf5 or .npz)");
}

std::string_view outFormatName(OutFormat f) {
  switch (f) {
    case OutFormat::Safetensors: return "safetensors";
    case OutFormat::Hdf5: return "HDF5";
    case OutFormat::Npz: return ".npz";
  }
  return "?";
}

std::optional<std::string> cannotStore(OutFormat format, DType dtype) {
  const std::string name(dtypeName(dtype));
  const std::string where(outFormatName(format));
  if (dtypeSize(dtype) == 0) return "block dtype " + name + " (ggml blocks) cannot be stored in " + where;
  if (format == OutFormat::Safetensors) return std::nullopt;
  if (dtype == DType::BF16 || dtype == DType::F8_E4M3 || dtype == DType::F8_E5M2)
    return "dtype " + name + " cannot be stored in " + where + " (it has no such type that NumPy or h5py read)";
  return std::nullopt;
}

Result<std::unique_ptr<TensorFileWriter>> createTensorFileWriter(const std::filesystem::path& path, OutFormat format,
                                                                   std::vector<TensorPlan> plan, const Metadata& metadata,
                                                                   const WriteOptions& options) {
  const std::string where = path.string();
  if (auto st = validatePlan(where, format, plan); !st) return st.error();
  switch (format) {
    case OutFormat::Safetensors: {
      auto w = std::make_unique<SafetensorsWriter>(path, std::move(plan));
      if (auto st = w->begin(metadata); !st) return st.error();
      return std::unique_ptr<TensorFileWriter>(std::move(w));
    }
    case OutFormat::Hdf5: {
      auto w = std::make_unique<Hdf5Writer>(path, std::move(plan));
      if (auto st = w->begin(metadata); !st) return st.error();
      return std::unique_ptr<TensorFileWriter>(std::move(w));
    }
    case OutFormat::Npz: {
      auto w = std::make_unique<NpzWriter>(path, std::move(plan), options);
      if (auto st = w->begin(); !st) return st.error();
      return std::unique_ptr<TensorFileWriter>(std::move(w));
    }
  }
  return makeError(where + ": unknown output format");
}

Result<std::unique_ptr<TensorFileWriter>> createTensorFileWriter(const std::filesystem::path& path,
                                                                 std::vector<TensorPlan> plan, const Metadata& metadata,
                                                                 const WriteOptions& options) {
  auto format = outFormatFor(path);
  if (!format) return format.error();
  return createTensorFileWriter(path, *format, std::move(plan), metadata, options);
}

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
  return writeList(path, OutFormat::Safetensors, tensors, metadata, {});
}

Status writeHdf5(const std::filesystem::path& path, const std::vector<OutTensor>& tensors, const Metadata& metadata) {
  return writeList(path, OutFormat::Hdf5, tensors, metadata, {});
}

Status writeNpz(const std::filesystem::path& path, const std::vector<OutTensor>& tensors, const WriteOptions& options) {
  return writeList(path, OutFormat::Npz, tensors, {}, options);
}

Status checkNotAnInput(const std::filesystem::path& out, const std::vector<std::string>& inputs) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (out.empty() || !fs::exists(out, ec)) return {};
  for (const std::string& in : inputs) {
    if (in.empty() || !fs::exists(in, ec)) continue;
    if (fs::equivalent(out, in, ec))
      return makeError(out.string() + ": is an input of this command (" + in + "); write to another file");
    if (fs::is_directory(in, ec) && fs::equivalent(fs::absolute(out, ec).parent_path(), in, ec))
      return makeError(out.string() + ": would replace a file of the input folder " + in + "; write elsewhere");
  }
  return {};
}

Status writeTensorFile(const std::filesystem::path& path, const std::vector<OutTensor>& tensors,
                       const Metadata& metadata) {
  auto format = outFormatFor(path);
  if (!format) return format.error();
  return writeList(path, *format, tensors, metadata, {});
}

}  // namespace quench
