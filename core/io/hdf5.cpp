// HDF5 reader through the HDF5 C API. Opening visits every object of the file and catalogs the
// numeric datasets (any rank, contiguous, compact or chunked/compressed); strings, compounds and other
// non-numeric datasets are listed in the metadata as "skipped:<path>" with the reason. Root
// attributes become metadata. Every HDF5 call runs under one global mutex (libhdf5 here is built
// without thread safety).
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/io/formats.h"
#include "core/io/hdf5_support.h"

namespace quench {
namespace io {

std::mutex& hdf5Mutex() {
  static std::mutex m;
  return m;
}

void hdf5Init() {
  static bool done = false;
  if (done) return;
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  done = true;
}

std::string hdf5ErrorText() {
  std::string text;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* e, void* data) -> herr_t {
        auto& s = *static_cast<std::string*>(data);
        if (!s.empty()) s += "; ";
        s += e->func_name ? e->func_name : "?";
        s += ": ";
        s += e->desc ? e->desc : "error";
        return 0;
      },
      &text);
  H5Eclear2(H5E_DEFAULT);
  return text.empty() ? std::string("unknown HDF5 error") : text;
}

}  // namespace io

namespace {

using io::H5Id;

// gzip cannot expand better than about 1032:1; a dataset claiming more elements than that allows
// (compressed or never-written chunks) is refused so no allocation is sized by a header alone.
constexpr std::uint64_t kMaxExpansion = 1032;
constexpr std::uint64_t kSlackBytes = 1u << 20;

struct Dataset {
  TensorInfo info;
  std::string path;   // HDF5 path relative to the root group
  bool half = false;  // 2-byte IEEE float: read raw, convert with halfToFloat
};

// What we can do with an HDF5 datatype: the DType to report, or the reason it is skipped.
struct TypeVerdict {
  std::optional<DType> dtype;
  std::string reason;
};

bool fieldsAre(hid_t type, size_t spos, size_t epos, size_t esize, size_t mpos, size_t msize, size_t ebias) {
  size_t s = 0, ep = 0, es = 0, mp = 0, ms = 0;
  if (H5Tget_fields(type, &s, &ep, &es, &mp, &ms) < 0) return false;
  return s == spos && ep == epos && es == esize && mp == mpos && ms == msize && H5Tget_ebias(type) == ebias;
}

TypeVerdict classify(hid_t type) {
  const H5T_class_t cls = H5Tget_class(type);
  const size_t size = H5Tget_size(type);
  if (cls == H5T_FLOAT) {
    const H5T_order_t order = H5Tget_order(type);
    if (order != H5T_ORDER_LE && order != H5T_ORDER_BE) return {std::nullopt, "float with VAX/mixed byte order"};
    if (size == 2 && H5Tget_precision(type) == 16 && fieldsAre(type, 15, 10, 5, 0, 10, 15)) return {DType::F16, {}};
    if (size == 4 && H5Tget_precision(type) == 32 && fieldsAre(type, 31, 23, 8, 0, 23, 127)) return {DType::F32, {}};
    if (size == 8 && H5Tget_precision(type) == 64 && fieldsAre(type, 63, 52, 11, 0, 52, 1023)) return {DType::F64, {}};
    return {std::nullopt, "floating-point type of " + std::to_string(size) + " bytes that is not IEEE half/single/double"};
  }
  if (cls == H5T_INTEGER) {
    const bool isSigned = H5Tget_sign(type) == H5T_SGN_2;
    switch (size) {
      case 1: return {isSigned ? DType::I8 : DType::U8, {}};
      case 2: return {isSigned ? DType::I16 : DType::U16, {}};
      case 4: return {isSigned ? DType::I32 : DType::U32, {}};
      case 8: return {isSigned ? DType::I64 : DType::U64, {}};
      default: return {std::nullopt, "integer type of " + std::to_string(size) + " bytes"};
    }
  }
  switch (cls) {
    case H5T_STRING: return {std::nullopt, "string dataset"};
    case H5T_COMPOUND: return {std::nullopt, "compound dataset (structured records)"};
    case H5T_ENUM: return {std::nullopt, "enum dataset (h5py writes bool arrays as enums)"};
    case H5T_OPAQUE: return {std::nullopt, "opaque dataset"};
    case H5T_REFERENCE: return {std::nullopt, "reference dataset"};
    case H5T_VLEN: return {std::nullopt, "variable-length dataset"};
    case H5T_ARRAY: return {std::nullopt, "array-typed dataset"};
    case H5T_BITFIELD: return {std::nullopt, "bitfield dataset"};
    case H5T_TIME: return {std::nullopt, "time dataset"};
    default: return {std::nullopt, "unsupported datatype"};
  }
}

// Memory type HDF5 converts the stored elements into: native little-endian of the same kind.
hid_t nativeType(DType t) {
  switch (t) {
    case DType::F32: return H5T_NATIVE_FLOAT;
    case DType::F64: return H5T_NATIVE_DOUBLE;
    case DType::I8: return H5T_NATIVE_INT8;
    case DType::U8: return H5T_NATIVE_UINT8;
    case DType::I16: return H5T_NATIVE_INT16;
    case DType::U16: return H5T_NATIVE_UINT16;
    case DType::I32: return H5T_NATIVE_INT32;
    case DType::U32: return H5T_NATIVE_UINT32;
    case DType::I64: return H5T_NATIVE_INT64;
    case DType::U64: return H5T_NATIVE_UINT64;
    default: return H5I_INVALID_HID;
  }
}

std::string layoutText(hid_t dcpl) {
  std::string text;
  switch (H5Pget_layout(dcpl)) {
    case H5D_CONTIGUOUS: text = "contiguous"; break;
    case H5D_CHUNKED: text = "chunked"; break;
    case H5D_COMPACT: text = "compact"; break;
    default: text = "other layout"; break;
  }
  const int filters = H5Pget_nfilters(dcpl);
  for (int i = 0; i < filters; ++i) {
    unsigned flags = 0;
    size_t nelmts = 0;
    char name[64] = {};
    const H5Z_filter_t f = H5Pget_filter2(dcpl, static_cast<unsigned>(i), &flags, &nelmts, nullptr,
                                          sizeof name, name, nullptr);
    text += i == 0 ? ", " : "+";
    text += f == H5Z_FILTER_DEFLATE ? "gzip" : f == H5Z_FILTER_SHUFFLE ? "shuffle" : (name[0] ? name : "filter");
  }
  return text;
}

struct VisitState {
  std::vector<Dataset> datasets;
  Metadata skipped;
  std::string error;
  hid_t root = H5I_INVALID_HID;
};

herr_t visitObject(hid_t, const char* name, const H5O_info_t* info, void* data) {
  auto& st = *static_cast<VisitState*>(data);
  if (info->type != H5O_TYPE_DATASET) return 0;
  const std::string path = name;
  H5Id ds(H5Dopen2(st.root, name, H5P_DEFAULT), H5Dclose);
  if (!ds.valid()) {
    st.skipped.emplace_back("skipped:" + path, "cannot open dataset: " + io::hdf5ErrorText());
    return 0;
  }
  H5Id type(H5Dget_type(ds.get()), H5Tclose);
  H5Id space(H5Dget_space(ds.get()), H5Sclose);
  if (!type.valid() || !space.valid()) {
    st.skipped.emplace_back("skipped:" + path, "unreadable datatype or dataspace: " + io::hdf5ErrorText());
    return 0;
  }
  const TypeVerdict v = classify(type.get());
  if (!v.dtype) {
    st.skipped.emplace_back("skipped:" + path, v.reason);
    return 0;
  }
  const H5S_class_t spaceClass = H5Sget_simple_extent_type(space.get());
  if (spaceClass == H5S_NULL) {
    st.skipped.emplace_back("skipped:" + path, "empty (null) dataspace");
    return 0;
  }
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0 || rank > H5S_MAX_RANK) {
    st.skipped.emplace_back("skipped:" + path, "unreadable dataspace");
    return 0;
  }
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0) {
    st.skipped.emplace_back("skipped:" + path, "unreadable dataspace dimensions");
    return 0;
  }
  Dataset d;
  d.path = path;
  d.info.name = path;
  d.info.dtype = *v.dtype;
  d.half = *v.dtype == DType::F16;
  for (hsize_t n : dims) {
    if (n > static_cast<hsize_t>(std::numeric_limits<std::int64_t>::max())) {
      st.error = "dataset '" + path + "' has a dimension that does not fit in 63 bits";
      return -1;
    }
    d.info.shape.push_back(static_cast<std::int64_t>(n));
  }
  const auto count = checkedElementCount(d.info.shape);
  if (!count || *count > std::numeric_limits<std::uint64_t>::max() / 8) {
    st.error = "dataset '" + path + "' has too many elements (shape product overflows)";
    return -1;
  }
  d.info.bytes = *count * dtypeSize(*v.dtype);
  H5Id dcpl(H5Dget_create_plist(ds.get()), H5Pclose);
  if (dcpl.valid()) d.info.layout = layoutText(dcpl.get());
  if (H5Tget_order(type.get()) == H5T_ORDER_BE && H5Tget_size(type.get()) > 1)
    d.info.layout += d.info.layout.empty() ? "big-endian" : ", big-endian";
  H5Eclear2(H5E_DEFAULT);
  st.datasets.push_back(std::move(d));
  return 0;
}

// Root attribute → metadata text: strings as text, numbers as decimal, arrays as JSON.
herr_t visitAttribute(hid_t loc, const char* name, const H5A_info_t*, void* data) {
  auto& md = *static_cast<Metadata*>(data);
  H5Id attr(H5Aopen(loc, name, H5P_DEFAULT), H5Aclose);
  if (!attr.valid()) return 0;
  H5Id type(H5Aget_type(attr.get()), H5Tclose);
  H5Id space(H5Aget_space(attr.get()), H5Sclose);
  if (!type.valid() || !space.valid()) return 0;
  const hssize_t npoints = H5Sget_simple_extent_npoints(space.get());
  // Attributes are small by nature; a huge count is a hostile header.
  if (npoints < 0 || npoints > (1 << 16)) return 0;
  const auto count = static_cast<std::size_t>(npoints);
  const bool scalar = H5Sget_simple_extent_type(space.get()) == H5S_SCALAR;
  const H5T_class_t cls = H5Tget_class(type.get());
  nlohmann::json values = nlohmann::json::array();
  if (cls == H5T_STRING) {
    if (H5Tis_variable_str(type.get()) > 0) {
      // Not read: a variable-length string lives in the file's global heap, and libhdf5 1.10.8
      // copies a heap object using the length stored in the file without checking it against
      // the heap collection (H5HG_read: an out-of-bounds memcpy that fuzz_hdf5 found; regression
      // seed tests/fuzz/corpus/hdf5/regress_vlen_attribute_global_heap_overread). A hostile file
      // must not crash Quench, so these values are named but not read.
      md.emplace_back(name, "(variable-length string: not read, libhdf5 1.10 trusts its stored length)");
      return 0;
    } else {
      const size_t len = H5Tget_size(type.get());
      if (len == 0 || len > (1 << 20) || count * len > (1 << 22)) return 0;
      std::vector<char> buf(count * len);
      if (count > 0 && H5Aread(attr.get(), type.get(), buf.data()) < 0) return 0;
      for (std::size_t i = 0; i < count; ++i) {
        const char* s = buf.data() + i * len;
        values.push_back(std::string(s, strnlen(s, len)));
      }
    }
  } else if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
    std::vector<double> buf(count);
    std::vector<long long> ibuf(count);
    const bool isInt = cls == H5T_INTEGER;
    const herr_t rc = isInt ? H5Aread(attr.get(), H5T_NATIVE_LLONG, ibuf.data())
                            : H5Aread(attr.get(), H5T_NATIVE_DOUBLE, buf.data());
    if (count > 0 && rc < 0) return 0;
    for (std::size_t i = 0; i < count; ++i) {
      if (isInt) values.push_back(ibuf[i]);
      else values.push_back(buf[i]);
    }
  } else {
    return 0;
  }
  // Invalid UTF-8 in a string attribute is replaced, not thrown (this runs inside a C callback).
  const auto text = [](const nlohmann::json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  if (scalar && values.size() == 1)
    md.emplace_back(name, values[0].is_string() ? values[0].get<std::string>() : text(values[0]));
  else
    md.emplace_back(name, text(values));
  return 0;
}

class Hdf5Reader final : public TensorReader {
 public:
  Hdf5Reader(std::shared_ptr<MappedFile> file, H5Id fileId, std::vector<Dataset> datasets, Metadata metadata)
      : m_file(std::move(file)), m_fileId(std::move(fileId)), m_datasets(std::move(datasets)),
        m_metadata(std::move(metadata)) {
    for (const Dataset& d : m_datasets) m_tensors.push_back(d.info);
  }
  ~Hdf5Reader() override {
    std::lock_guard lock(io::hdf5Mutex());
    m_fileId.reset();
  }
  std::string_view format() const override { return "hdf5"; }
  const std::string& path() const override { return m_file->name(); }
  const std::vector<TensorInfo>& tensors() const override { return m_tensors; }
  const Metadata& metadata() const override { return m_metadata; }

  Result<FloatTensor> readFloat(std::size_t index, const Work& work) const override {
    if (index >= m_datasets.size())
      return makeError(path() + ": tensor index " + std::to_string(index) + " out of range");
    if (work.cancelled()) return makeError(path() + ": reading cancelled");
    const Dataset& d = m_datasets[index];
    const std::string ctx = path() + ": dataset '" + d.path + "': ";
    const std::uint64_t count = d.info.bytes / dtypeSize(d.info.dtype);
    if (d.info.bytes > m_file->size() * kMaxExpansion + kSlackBytes)
      return makeError(ctx + "claims " + std::to_string(d.info.bytes) + " bytes of data, more than a " +
                       std::to_string(m_file->size()) + "-byte file can hold even compressed");
    FloatTensor out;
    out.name = d.info.name;
    out.shape = d.info.shape;
    out.values.resize(static_cast<std::size_t>(count));
    std::vector<std::uint8_t> raw;
    if (d.info.dtype != DType::F32) raw.resize(static_cast<std::size_t>(d.info.bytes));
    {
      std::lock_guard lock(io::hdf5Mutex());
      H5Id ds(H5Dopen2(m_fileId.get(), d.path.c_str(), H5P_DEFAULT), H5Dclose);
      if (!ds.valid()) return makeError(ctx + "cannot open: " + io::hdf5ErrorText());
      H5Id mem;
      hid_t memType = nativeType(d.info.dtype);
      if (d.half) {
        // HDF5's soft float conversion is slow and rounds through its own code: read the raw
        // 2-byte values (byte-swapped to little-endian if needed) and convert them ourselves.
        H5Id fileType(H5Dget_type(ds.get()), H5Tclose);
        mem = H5Id(H5Tcopy(fileType.get()), H5Tclose);
        if (!mem.valid() || H5Tset_order(mem.get(), H5T_ORDER_LE) < 0)
          return makeError(ctx + "cannot build the half-float memory type: " + io::hdf5ErrorText());
        memType = mem.get();
      }
      void* dst = d.info.dtype == DType::F32 ? static_cast<void*>(out.values.data()) : raw.data();
      if (count > 0 && H5Dread(ds.get(), memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst) < 0)
        return makeError(ctx + "read failed: " + io::hdf5ErrorText());
    }
    if (d.info.dtype != DType::F32) convertToFloat(d.info.dtype, raw.data(), out.values.size(), out.values.data());
    work.report(1, 1);
    return out;
  }

 private:
  std::shared_ptr<MappedFile> m_file;
  H5Id m_fileId;
  std::vector<Dataset> m_datasets;
  std::vector<TensorInfo> m_tensors;
  Metadata m_metadata;
};

// Checks we can make before handing bytes to libhdf5: a signature at 0, 512, 1024, ... followed by
// a known superblock version and sane field widths. libhdf5 does its own validation afterwards.
std::optional<std::string> checkSuperblock(std::span<const std::uint8_t> b) {
  static constexpr std::uint8_t kSig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  for (std::size_t at = 0; at + 16 <= b.size(); at = at ? at * 2 : 512) {
    if (std::memcmp(b.data() + at, kSig, 8) != 0) continue;
    const unsigned version = b[at + 8];
    if (version > 3) return "unknown HDF5 superblock version " + std::to_string(version);
    const std::size_t widths = version <= 1 ? at + 13 : at + 9;
    if (widths + 2 > b.size()) return "truncated HDF5 superblock";
    for (std::size_t i = 0; i < 2; ++i) {
      const unsigned w = b[widths + i];
      if (w != 2 && w != 4 && w != 8 && w != 16 && w != 32)
        return "HDF5 superblock declares an invalid address/length width " + std::to_string(w);
    }
    return std::nullopt;
  }
  return "no HDF5 signature (not an HDF5 file or truncated)";
}

// True when the MappedFile mirrors the file at its name (it was opened from a path), so libhdf5
// may read the file itself instead of a copy of the bytes.
bool backedByPath(const MappedFile& f) {
  std::error_code ec;
  const std::filesystem::path p(f.name());
  if (!std::filesystem::is_regular_file(p, ec) || std::filesystem::file_size(p, ec) != f.size() || ec) return false;
  std::ifstream in(p, std::ios::binary);
  std::vector<char> head(std::min<std::size_t>(f.size(), 4096));
  if (!in.read(head.data(), static_cast<std::streamsize>(head.size()))) return false;
  return std::memcmp(head.data(), f.bytes().data(), head.size()) == 0;
}

}  // namespace

Result<std::unique_ptr<TensorReader>> openHdf5(std::shared_ptr<MappedFile> file) {
  const std::string& where = file->name();
  if (auto err = checkSuperblock(file->bytes())) return makeError(where + ": hdf5: " + *err);
  const bool byPath = backedByPath(*file);

  std::lock_guard lock(io::hdf5Mutex());
  io::hdf5Init();
  H5Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (!fapl.valid()) return makeError(where + ": hdf5: " + io::hdf5ErrorText());
  if (!byPath) {
    // In-memory bytes: the core driver serves the file from a copy of the image, no disk access.
    if (H5Pset_fapl_core(fapl.get(), 1 << 16, false) < 0 ||
        H5Pset_file_image(fapl.get(), const_cast<std::uint8_t*>(file->bytes().data()), file->size()) < 0)
      return makeError(where + ": hdf5: cannot set up the in-memory image: " + io::hdf5ErrorText());
  }
  H5Id fileId(H5Fopen(where.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose);
  if (!fileId.valid()) return makeError(where + ": hdf5: cannot open: " + io::hdf5ErrorText());
  H5Id root(H5Gopen2(fileId.get(), "/", H5P_DEFAULT), H5Gclose);
  if (!root.valid()) return makeError(where + ": hdf5: cannot open the root group: " + io::hdf5ErrorText());

  VisitState st;
  st.root = root.get();
  if (H5Ovisit2(root.get(), H5_INDEX_NAME, H5_ITER_INC, visitObject, &st, H5O_INFO_BASIC) < 0) {
    const std::string why = st.error.empty() ? io::hdf5ErrorText() : st.error;
    return makeError(where + ": hdf5: cannot list the file's objects: " + why);
  }
  Metadata metadata;
  hsize_t idx = 0;
  H5Aiterate2(root.get(), H5_INDEX_NAME, H5_ITER_INC, &idx, visitAttribute, &metadata);
  H5Eclear2(H5E_DEFAULT);
  for (auto& s : st.skipped) metadata.push_back(std::move(s));
  root.reset();
  return std::unique_ptr<TensorReader>(
      new Hdf5Reader(std::move(file), std::move(fileId), std::move(st.datasets), std::move(metadata)));
}

}  // namespace quench
