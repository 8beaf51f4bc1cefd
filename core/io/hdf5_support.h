#pragma once
// Shared by the HDF5 reader and writer (private to core/io). The libhdf5 built here is not
// thread-safe, so every HDF5 call in Quench runs under hdf5Mutex(). HDF5's automatic error printing
// is switched off; hdf5ErrorText() turns the error stack into one line for an Error message.
#include <hdf5.h>

#include <mutex>
#include <string>
#include <utility>

namespace quench::io {

/// The one lock around every libhdf5 call in the process.
std::mutex& hdf5Mutex();
/// Call with hdf5Mutex() held before the first HDF5 call: silences HDF5's stderr error printing.
void hdf5Init();
/// The current HDF5 error stack as "func: message; func: message" (clears it). Lock held.
std::string hdf5ErrorText();

/// Owns an hid_t and closes it with the matching H5?close (lock must be held at destruction).
class H5Id {
 public:
  using Closer = herr_t (*)(hid_t);
  H5Id() = default;
  H5Id(hid_t id, Closer close) : m_id(id), m_close(close) {}
  H5Id(H5Id&& o) noexcept : m_id(std::exchange(o.m_id, H5I_INVALID_HID)), m_close(o.m_close) {}
  H5Id& operator=(H5Id&& o) noexcept {
    if (this != &o) {
      reset();
      m_id = std::exchange(o.m_id, H5I_INVALID_HID);
      m_close = o.m_close;
    }
    return *this;
  }
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;
  ~H5Id() { reset(); }
  void reset() {
    if (m_id >= 0 && m_close) m_close(m_id);
    m_id = H5I_INVALID_HID;
  }
  hid_t get() const { return m_id; }
  bool valid() const { return m_id >= 0; }

 private:
  hid_t m_id = H5I_INVALID_HID;
  Closer m_close = nullptr;
};

}  // namespace quench::io
