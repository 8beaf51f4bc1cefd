// libFuzzer target for the HDF5 reader: any bytes must give either a catalog whose every tensor
// reads (or fails with a message naming the file) or an error naming the file; never a crash of
// this process and never an allocation sized by an unchecked header.
//
// The reader runs libhdf5 only in forked children (core/io/hdf5.cpp: libhdf5 1.10.8 crashes on
// some corrupt files, e.g. a SEGV in H5A__close from H5F_try_close, committed as
// tests/data/io/hdf5_crashes_libhdf5.h5). The in-memory image goes through the same child path as
// a file on disk: the child inherits the bytes with the fork and hands them to the core driver.
// So a crash inside libhdf5 prints an ASan report from the child and becomes an Error here, and
// this target checks what Quench promises: the process survives and every message names the file.
// Two consequences: coverage counters updated in a child are lost with it, so mutation is guided
// only by the parent's code (the pipe/shared-memory protocol, error paths), not by the catalog
// scan; and a memory error in our own catalog code would also show up only as such an Error (in the
// ASan unit tests it would make a good file fail to open). Each child checks that every HDF5 handle of ours is
// closed before it reports success, so handle leaks still fail as errors in the unit tests.
//
// In the children: libhdf5 1.10.8 leaks the object header it was loading when a metadata checksum
// fails (H5C_load_entry); it is built without frame pointers, so the LSan suppression names the
// module (children leave with _exit, so LSan only runs in this process anyway). libhdf5 also sizes
// some allocations from unchecked on-disk lengths (seen: a 0x4548000000000060-byte malloc in
// H5C_load_entry); plain malloc fails and libhdf5 reports an error, while ASan by default aborts,
// so allocator_may_return_null=1 restores the production behaviour.
#include <pthread.h>
#include <sanitizer/common_interface_defs.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "core/io/formats.h"

// A child that crashes must not look like a fuzzer finding: libFuzzer's death callback (which writes
// crash-* and stops the run) is inherited by forked children, so each child drops it; the child
// still prints its ASan report and dies, and the parent turns that into an Error.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  pthread_atfork(nullptr, nullptr, [] { __sanitizer_set_death_callback(nullptr); });
  return 0;
}

extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }
extern "C" const char* __lsan_default_suppressions() { return "leak:libhdf5_serial.so\n"; }

namespace {
constexpr const char* kName = "fuzz-in-memory.h5";

bool namesFile(const std::string& message) { return message.rfind(std::string(kName) + ": ", 0) == 0; }

void readAll(std::shared_ptr<quench::MappedFile> file) {
  auto reader = quench::openHdf5(std::move(file));
  if (!reader) {
    if (!namesFile(reader.error().message)) std::abort();
    return;
  }
  const auto& tensors = (*reader)->tensors();
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    auto t = (*reader)->readFloat(i);
    if (!t) {
      if (!namesFile(t.error().message)) std::abort();
      continue;
    }
    // A decoded tensor has exactly as many values as its catalogued shape promises.
    if (t->values.size() != quench::checkedElementCount(tensors[i].shape).value_or(~0ull)) std::abort();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  readAll(quench::MappedFile::fromBytes(kName, std::vector<std::uint8_t>(data, data + size)));
  return 0;
}
