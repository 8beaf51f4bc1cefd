// HDF5 reader through the HDF5 C API. Opening visits every object of the file and catalogs the
// numeric datasets (any rank, contiguous, compact or chunked/compressed); strings, compounds and other
// non-numeric datasets are listed in the metadata as "skipped:<path>" with the reason. Root
// attributes become metadata. libhdf5 1.10 crashes on some corrupt files, so the catalog scan and
// every read run in a forked child process (see runIsolated below): a crash there is an Error
// naming the file. Forks happen under the one global HDF5 mutex (libhdf5 here is built without
// thread safety).
// Length (~690 lines): one reader over one C API, and the fork-isolation machinery that every
// entry point of it must go through; splitting them would let a call escape the isolation.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
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
  // No library shutdown at exit: after a write fails (a full disk: EFBIG, ENOSPC) H5Fclose fails
  // too and libhdf5 1.10.8 keeps the half-closed file, and its atexit handler then crashes in
  // H5F__close_cb (seen: SIGSEGV after "File too large"). Every file of ours is closed explicitly
  // before it is used (the writer's commit, the reader's children), so the handler has nothing to
  // flush. Must precede every other HDF5 call, which is why it is here.
  H5dont_atexit();
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
        // Some descriptions span lines (the sec2 driver's "time = ...\n, filename = ..."): one
        // line each, since errors are one line on stderr.
        for (const char* c = e->desc ? e->desc : "error"; *c; ++c) s += (*c == '\n' || *c == '\r') ? ' ' : *c;
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

namespace {

// ---- Process isolation ------------------------------------------------------------------------
// libhdf5 1.10.8 is not memory-safe on corrupt files (fuzz_hdf5 found an out-of-bounds memcpy in
// H5HG_read and a SEGV in H5A__close reached from H5F_try_close). So every libhdf5 call that
// touches a file being read runs in a forked child: a crash there ends the child, and the parent
// turns the signal or exit status into an Error naming the file. The parent forks while holding
// hdf5Mutex(), so no other thread is inside libhdf5 (or half-way through its state) at that
// moment; the child never takes the mutex again (it stays locked in the child's copy), uses only
// libhdf5, its own stack, malloc (fork-safe in glibc), the pipe and the shared buffer, and leaves
// with _exit (no atexit handlers, no Qt/TBB, no return into the caller).

// Catalog scans are bounded by the number of objects, not the data: 30 s is generous.
constexpr int kCatalogTimeoutSeconds = 30;
// Reads may inflate gzip data: 30 s plus one second per 16 MiB of decoded bytes.
constexpr std::uint64_t kReadBytesPerSecond = 16u << 20;

// Length-prefixed binary records for the pipe (paths and attribute names are arbitrary bytes, so
// they are not squeezed through JSON's UTF-8 rules).
void putU64(std::string& out, std::uint64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
void putString(std::string& out, const std::string& s) {
  putU64(out, s.size());
  out += s;
}

class WireReader {
 public:
  explicit WireReader(std::string_view bytes) : m_rest(bytes) {}
  bool u64(std::uint64_t& v) {
    if (m_rest.size() < sizeof v) return false;
    std::memcpy(&v, m_rest.data(), sizeof v);
    m_rest.remove_prefix(sizeof v);
    return true;
  }
  bool string(std::string& s) {
    std::uint64_t n = 0;
    if (!u64(n) || n > m_rest.size()) return false;
    s.assign(m_rest.substr(0, n));
    m_rest.remove_prefix(n);
    return true;
  }
  bool done() const { return m_rest.empty(); }

 private:
  std::string_view m_rest;
};

bool writeAll(int fd, const std::string& bytes) {
  std::size_t at = 0;
  while (at < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + at, bytes.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    at += static_cast<std::size_t>(n);
  }
  return true;
}

// Runs `child` in a forked process and returns the bytes it produced. `child` returns its reply
// (first byte 'E' + message on a handled error, 'K' + payload on success); a crash, an exception,
// a timeout or cancellation becomes an Error naming the file and `activity`.
Result<std::string> runIsolated(const std::string& where, const std::string& activity, int timeoutSeconds,
                                const std::stop_token* stop, const std::function<std::string()>& child) {
  // The pipe is made, and its write end closed here, under the mutex too: a child forked by another
  // thread must not inherit this write end, or EOF would wait for that child as well.
  int fds[2];
  pid_t pid = -1;
  int forkErrno = 0;
  {
    std::lock_guard lock(io::hdf5Mutex());
    if (::pipe2(fds, O_CLOEXEC) != 0)
      return makeError(where + ": hdf5: cannot create a pipe: " + std::strerror(errno));
    io::hdf5Init();
    pid = ::fork();
    if (pid == 0) {
      ::close(fds[0]);
      int code = 0;
      try {
        if (!writeAll(fds[1], child())) code = 3;
      } catch (...) {
        code = 4;
      }
      ::_exit(code);
    }
    forkErrno = errno;
    ::close(fds[1]);
  }
  if (pid < 0) {
    ::close(fds[0]);
    return makeError(where + ": hdf5: cannot start the isolated reader process: " + std::strerror(forkErrno));
  }

  std::string reply;
  bool timedOut = false, cancelled = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeoutSeconds);
  for (;;) {
    if (stop && stop->stop_requested()) {
      cancelled = true;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      timedOut = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, 100);  // ms: how promptly a cancel or the deadline is noticed
    if (ready <= 0) continue;              // timeout slice or EINTR
    char buf[1 << 16];
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n > 0) reply.append(buf, static_cast<std::size_t>(n));
    else if (n == 0 || errno != EINTR) break;  // EOF: the child is done (or died)
  }
  ::close(fds[0]);
  if (timedOut || cancelled) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (cancelled) return makeError(where + ": " + activity + " cancelled");
  if (timedOut)
    return makeError(where + ": hdf5: the HDF5 library did not finish " + activity + " within " +
                     std::to_string(timeoutSeconds) + " s: the file is corrupt (or pathological)");
  if (WIFSIGNALED(status))
    return makeError(where + ": hdf5: the HDF5 library crashed while " + activity + " (signal " +
                     std::to_string(WTERMSIG(status)) + "): the file is corrupt");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || reply.empty())
    return makeError(where + ": hdf5: the HDF5 library crashed while " + activity + " (exit status " +
                     std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + "): the file is corrupt");
  if (reply[0] == 'E') return makeError(where + ": hdf5: " + reply.substr(1));
  if (reply[0] != 'K') return makeError(where + ": hdf5: garbled reply from the isolated reader process");
  return reply.substr(1);
}

// In the child: open the file with libhdf5 (from its path, or the in-memory image through the core
// driver). Empty H5Id and `error` set on failure.
H5Id openInChild(const MappedFile& file, bool byPath, std::string& error) {
  H5Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (!fapl.valid()) {
    error = io::hdf5ErrorText();
    return {};
  }
  if (!byPath) {
    // The core driver serves the file from a copy of the image, no disk access.
    if (H5Pset_fapl_core(fapl.get(), 1 << 16, false) < 0 ||
        H5Pset_file_image(fapl.get(), const_cast<std::uint8_t*>(file.bytes().data()), file.size()) < 0) {
      error = "cannot set up the in-memory image: " + io::hdf5ErrorText();
      return {};
    }
  }
  H5Id fileId(H5Fopen(file.name().c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose);
  if (!fileId.valid()) error = "cannot open: " + io::hdf5ErrorText();
  return fileId;
}

// In the child, after every handle of ours is closed: anything still open is a leak of ours.
std::string leakCheck() {
  const ssize_t open = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
  return open == 0 ? std::string() : "internal error: " + std::to_string(open) + " HDF5 handles left open";
}

// In the child: the whole catalog scan, as a reply for runIsolated.
std::string catalogInChild(const MappedFile& file, bool byPath) {
  std::string error;
  VisitState st;
  Metadata metadata;
  {
    H5Id fileId = openInChild(file, byPath, error);
    if (!fileId.valid()) return "E" + error;
    H5Id root(H5Gopen2(fileId.get(), "/", H5P_DEFAULT), H5Gclose);
    if (!root.valid()) return "Ecannot open the root group: " + io::hdf5ErrorText();
    st.root = root.get();
    if (H5Ovisit2(root.get(), H5_INDEX_NAME, H5_ITER_INC, visitObject, &st, H5O_INFO_BASIC) < 0)
      return "Ecannot list the file's objects: " + (st.error.empty() ? io::hdf5ErrorText() : st.error);
    hsize_t idx = 0;
    H5Aiterate2(root.get(), H5_INDEX_NAME, H5_ITER_INC, &idx, visitAttribute, &metadata);
    H5Eclear2(H5E_DEFAULT);
  }  // root and file closed here: a crash in libhdf5's close still counts as a corrupt file
  if (auto leak = leakCheck(); !leak.empty()) return "E" + leak;
  for (auto& s : st.skipped) metadata.push_back(std::move(s));
  std::string out = "K";
  putU64(out, st.datasets.size());
  for (const Dataset& d : st.datasets) {
    putString(out, d.path);
    putU64(out, static_cast<std::uint64_t>(d.info.dtype));
    putU64(out, d.info.shape.size());
    for (std::int64_t n : d.info.shape) putU64(out, static_cast<std::uint64_t>(n));
    putU64(out, d.info.bytes);
    putString(out, d.info.layout);
  }
  putU64(out, metadata.size());
  for (const auto& [k, v] : metadata) {
    putString(out, k);
    putString(out, v);
  }
  return out;
}

// Parent: the catalog reply back into datasets and metadata.
bool parseCatalog(const std::string& reply, std::vector<Dataset>& datasets, Metadata& metadata) {
  WireReader in(reply);
  std::uint64_t n = 0;
  if (!in.u64(n)) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    Dataset d;
    std::uint64_t dtype = 0, rank = 0;
    if (!in.string(d.path) || !in.u64(dtype) || !in.u64(rank) || rank > H5S_MAX_RANK) return false;
    d.info.name = d.path;
    d.info.dtype = static_cast<DType>(dtype);
    d.half = d.info.dtype == DType::F16;
    for (std::uint64_t r = 0; r < rank; ++r) {
      std::uint64_t dim = 0;
      if (!in.u64(dim)) return false;
      d.info.shape.push_back(static_cast<std::int64_t>(dim));
    }
    if (!in.u64(d.info.bytes) || !in.string(d.info.layout)) return false;
    datasets.push_back(std::move(d));
  }
  if (!in.u64(n)) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::string k, v;
    if (!in.string(k) || !in.string(v)) return false;
    metadata.emplace_back(std::move(k), std::move(v));
  }
  return in.done();
}

// In the child: read dataset `d` as its stored dtype (half as raw little-endian 2-byte values) into
// `dst`, which holds d.info.bytes bytes shared with the parent.
std::string readInChild(const MappedFile& file, bool byPath, const Dataset& d, void* dst) {
  std::string error;
  {
    H5Id fileId = openInChild(file, byPath, error);
    if (!fileId.valid()) return "E" + error;
    H5Id ds(H5Dopen2(fileId.get(), d.path.c_str(), H5P_DEFAULT), H5Dclose);
    if (!ds.valid()) return "Edataset '" + d.path + "': cannot open: " + io::hdf5ErrorText();
    // The shared buffer is sized from the catalog: if the file changed on disk since, refuse.
    H5Id space(H5Dget_space(ds.get()), H5Sclose);
    const hssize_t points = space.valid() ? H5Sget_simple_extent_npoints(space.get()) : -1;
    if (points < 0 || static_cast<std::uint64_t>(points) != d.info.bytes / dtypeSize(d.info.dtype))
      return "Edataset '" + d.path + "': its size differs from the catalog (was the file changed?)";
    H5Id mem;
    hid_t memType = nativeType(d.info.dtype);
    if (d.half) {
      // HDF5's soft float conversion is slow and rounds through its own code: read the raw
      // 2-byte values (byte-swapped to little-endian if needed); the parent converts them.
      H5Id fileType(H5Dget_type(ds.get()), H5Tclose);
      mem = H5Id(H5Tcopy(fileType.get()), H5Tclose);
      if (!mem.valid() || H5Tset_order(mem.get(), H5T_ORDER_LE) < 0)
        return "Edataset '" + d.path + "': cannot build the half-float memory type: " + io::hdf5ErrorText();
      memType = mem.get();
    }
    if (d.info.bytes > 0 && H5Dread(ds.get(), memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst) < 0)
      return "Edataset '" + d.path + "': read failed: " + io::hdf5ErrorText();
  }
  if (auto leak = leakCheck(); !leak.empty()) return "E" + leak;
  return "K";
}

// Anonymous shared memory the child writes a dataset into; unmapped when it goes out of scope.
class SharedBuffer {
 public:
  explicit SharedBuffer(std::size_t bytes) : m_bytes(bytes) {
    if (bytes == 0) return;
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) m_data = p;
  }
  ~SharedBuffer() {
    if (m_data) ::munmap(m_data, m_bytes);
  }
  SharedBuffer(const SharedBuffer&) = delete;
  SharedBuffer& operator=(const SharedBuffer&) = delete;
  bool ok() const { return m_bytes == 0 || m_data != nullptr; }
  void* data() const { return m_data; }

 private:
  std::size_t m_bytes = 0;
  void* m_data = nullptr;
};

class Hdf5Reader final : public TensorReader {
 public:
  Hdf5Reader(std::shared_ptr<MappedFile> file, bool byPath, std::vector<Dataset> datasets, Metadata metadata)
      : m_file(std::move(file)), m_byPath(byPath), m_datasets(std::move(datasets)), m_metadata(std::move(metadata)) {
    for (const Dataset& d : m_datasets) m_tensors.push_back(d.info);
  }
  std::string_view format() const override { return "hdf5"; }
  const std::string& path() const override { return m_file->name(); }
  const std::vector<TensorInfo>& tensors() const override { return m_tensors; }
  const Metadata& metadata() const override { return m_metadata; }

  Result<FloatTensor> readFloat(std::size_t index, const Work& work) const override {
    std::unique_ptr<SharedBuffer> shared;
    if (auto st = readIsolated(index, work, shared); !st) return st.error();
    const Dataset& d = m_datasets[index];
    FloatTensor out;
    out.name = d.info.name;
    out.shape = d.info.shape;
    out.values.resize(static_cast<std::size_t>(d.info.bytes / dtypeSize(d.info.dtype)));
    if (!out.values.empty()) {
      if (d.info.dtype == DType::F32) std::memcpy(out.values.data(), shared->data(), d.info.bytes);
      else convertToFloat(d.info.dtype, shared->data(), out.values.size(), out.values.data());
    }
    work.report(1, 1);
    return out;
  }

  // The child reads a dataset in its own type, little-endian: already what readStored promises.
  Result<std::vector<std::uint8_t>> readStored(std::size_t index, const Work& work) const override {
    std::unique_ptr<SharedBuffer> shared;
    if (auto st = readIsolated(index, work, shared); !st) return st.error();
    const auto* p = static_cast<const std::uint8_t*>(shared->data());
    std::vector<std::uint8_t> out(p, p + m_datasets[index].info.bytes);
    work.report(1, 1);
    return out;
  }

 private:
  // Reads dataset `index` in a forked child into a new shared buffer (its catalog dtype, LE).
  Status readIsolated(std::size_t index, const Work& work, std::unique_ptr<SharedBuffer>& shared) const {
    if (index >= m_datasets.size())
      return makeError(path() + ": tensor index " + std::to_string(index) + " out of range");
    if (work.cancelled()) return makeError(path() + ": reading cancelled");
    const Dataset& d = m_datasets[index];
    const std::string ctx = path() + ": dataset '" + d.path + "': ";
    // Checked before anything is sized by the header's claim (the shared buffer included).
    if (d.info.bytes > m_file->size() * kMaxExpansion + kSlackBytes)
      return makeError(ctx + "claims " + std::to_string(d.info.bytes) + " bytes of data, more than a " +
                       std::to_string(m_file->size()) + "-byte file can hold even compressed");
    shared = std::make_unique<SharedBuffer>(static_cast<std::size_t>(d.info.bytes));
    if (!shared->ok())
      return makeError(ctx + "cannot map " + std::to_string(d.info.bytes) + " bytes of shared memory: " +
                       std::strerror(errno));
    const int timeout = kCatalogTimeoutSeconds + static_cast<int>(d.info.bytes / kReadBytesPerSecond);
    SharedBuffer* buffer = shared.get();
    auto reply = runIsolated(path(), "reading dataset '" + d.path + "'", timeout, &work.stop,
                             [&] { return readInChild(*m_file, m_byPath, d, buffer->data()); });
    if (!reply) return reply.error();
    return {};
  }

  std::shared_ptr<MappedFile> m_file;
  bool m_byPath = false;  // libhdf5 opens the path; otherwise the in-memory image via the core driver
  std::vector<Dataset> m_datasets;
  std::vector<TensorInfo> m_tensors;
  Metadata m_metadata;
};

}  // namespace

Result<std::unique_ptr<TensorReader>> openHdf5(std::shared_ptr<MappedFile> file) {
  const std::string& where = file->name();
  if (auto err = checkSuperblock(file->bytes())) return makeError(where + ": hdf5: " + *err);
  const bool byPath = backedByPath(*file);
  auto reply = runIsolated(where, "reading the file's structure", kCatalogTimeoutSeconds, nullptr,
                           [&] { return catalogInChild(*file, byPath); });
  if (!reply) return reply.error();
  std::vector<Dataset> datasets;
  Metadata metadata;
  if (!parseCatalog(*reply, datasets, metadata))
    return makeError(where + ": hdf5: garbled catalog from the isolated reader process");
  return std::unique_ptr<TensorReader>(new Hdf5Reader(std::move(file), byPath, std::move(datasets), std::move(metadata)));
}

}  // namespace quench
