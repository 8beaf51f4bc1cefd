// libFuzzer target for a Hugging Face model's config.json (core/model/model_loader.cpp, through
// openModel on a folder): the input is written as config.json beside an empty model.safetensors;
// any bytes give an error naming a file of the folder or a model whose configuration passed
// validateConfig. Never a crash, a hang, or an allocation sized by an unchecked field
// (vocab_size, hidden_size, num_hidden_layers of 2^31 must be refused, not allocated).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/model/config.h"
#include "core/model/model_loader.h"

namespace {
std::filesystem::path g_dir;

void writeFile(const std::filesystem::path& p, const void* data, std::size_t size) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* base = std::getenv("TMPDIR");
  g_dir = std::filesystem::path(base ? base : "/tmp") / ("quench-fuzz-hf-config-" + std::to_string(::getpid()));
  std::filesystem::create_directories(g_dir);
  // A safetensors file without tensors: openModel reads the header; config.json decides the rest.
  const char header[] = "{\"__metadata__\":{\"format\":\"pt\"}}";
  std::string st(8, '\0');
  st[0] = static_cast<char>(sizeof header - 1);
  st += std::string(header, sizeof header - 1);
  writeFile(g_dir / "model.safetensors", st.data(), st.size());
  std::atexit([] {
    std::error_code ec;
    std::filesystem::remove_all(g_dir, ec);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  writeFile(g_dir / "config.json", data, size);
  auto m = quench::model::openModel(g_dir);
  if (!m) {
    if (m.error().message.rfind(g_dir.string() + "/", 0) != 0 && m.error().message.rfind(g_dir.string() + ":", 0) != 0) {
      std::fprintf(stderr, "fuzz_hf_config: error does not name the folder: %s\n", m.error().message.c_str());
      std::abort();
    }
    return 0;
  }
  if (!quench::model::validateConfig(m->config, "fuzz")) std::abort();
  return 0;
}
