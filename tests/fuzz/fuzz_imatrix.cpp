// libFuzzer target for llama.cpp's importance-matrix files and the typed GGUF header parser under
// them: any bytes give an error naming the file or a matrix whose every entry re-encodes in both
// formats and reads back with the same names and sizes; a GGUF header that parses re-encodes to a
// header that parses to the same key/values. Never a crash, a leak or an unchecked allocation.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/io/gguf_file.h"
#include "core/io/gguf_writer.h"
#include "core/io/imatrix.h"

namespace {
// Aborts naming the failed property's line, so a crash file says which invariant broke.
void checkAt(bool ok, int line) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_imatrix: property at line %d violated\n", line);
  std::abort();
}
}  // namespace
#define check(ok) checkAt((ok), __LINE__)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  if (auto h = quench::parseGguf(bytes, "fuzz.gguf")) {
    std::vector<quench::GgufTensorSpec> specs;
    for (const auto& t : h->tensors) specs.push_back({t.name, t.ne, static_cast<quench::ggml::Type>(t.type)});
    // The writer may refuse what ggml refuses and the reader allows (names of 64+ bytes); when it
    // accepts, its header must read back to the same key/values.
    if (auto enc = quench::encodeGgufHeader(h->kv, specs)) {
      auto again = quench::parseGguf(*enc, "again.gguf");
      check(again.ok() || !specs.empty());  // tensors' data is absent: offsets may point past the end
      if (again) check(again->kv == h->kv);
    }
  } else {
    check(h.error().message.rfind("fuzz.gguf: ", 0) == 0);
  }

  auto m = quench::parseImatrix(bytes, "fuzz.imatrix");
  if (!m) {
    check(m.error().message.rfind("fuzz.imatrix: ", 0) == 0);  // errors name the file
    return 0;
  }
  for (const auto& e : m->entries) {
    check(!e.counts.empty() && e.sums.size() % e.counts.size() == 0);
    check(quench::importanceOf(*m, e).size() == e.sums.size());
  }
  const quench::ImatrixConversion conv{m->chunkSize > 0 ? 0 : 7};
  auto dat = quench::encodeImatrixDat(*m, conv);
  if (dat) {
    auto back = quench::parseImatrix(*dat, "back.dat");
    if (!back && std::getenv("FUZZ_IMATRIX_DEBUG")) std::fprintf(stderr, "%s\n", back.error().message.c_str());
    check(back.ok());
    check(back->entries.size() <= m->entries.size());
  }
  auto gguf = quench::encodeImatrixGguf(*m, conv);
  if (gguf) {
    auto back = quench::parseImatrix(*gguf, "back.gguf");
    if (!back && std::getenv("FUZZ_IMATRIX_DEBUG")) std::fprintf(stderr, "%s\n", back.error().message.c_str());
    check(back.ok() && back->entries.size() == m->entries.size());
    for (std::size_t i = 0; i < m->entries.size(); ++i) check(back->entries[i].sums.size() == m->entries[i].sums.size());
  }
  return 0;
}
