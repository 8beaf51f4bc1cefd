// quench-cli export-gguf MODEL (--type TYPE | --mix MIX) [--imatrix FILE] --out OUT.gguf: a GGUF
// model re-quantized with ggml's own quantizers, byte for byte what llama-quantize writes.
//   --type TYPE  every 2-D/3-D weight gets TYPE, norms stay F32 (llama-quantize --pure); TYPE is
//                a llama-quantize name: Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K,
//                Q6_K, IQ4_NL, IQ4_XS, F16, BF16, F32, or a mix name (Q3_K_M, Q4_K_S, ...)
//                meaning its base type;
//   --mix MIX    llama.cpp's own per-tensor mix for MIX (llama-quantize without --pure).
// Progress on stderr (Ctrl+C stops cleanly: no partial file); --json prints the plan and sizes.
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <stop_token>
#include <string>
#include <vector>

#include "app/cli/commands.h"
#include "core/ggml/export.h"
#include "core/ggml/quants.h"
#include "core/io/imatrix.h"

namespace quench::cli {
namespace {

struct ExportGgufOptions {
  std::string model;
  std::string type;
  std::string mix;
  std::string imatrix;
  std::string out;
  std::string outputTensorType;
  std::string tokenEmbeddingType;
  std::vector<std::string> tensorTypes;
  bool leaveOutput = false;
  bool allowRequantize = false;
  bool dryRun = false;
  bool json = false;
  bool quiet = false;
};

volatile std::sig_atomic_t g_interrupted = 0;
void onSigint(int) { g_interrupted = 1; }

std::string mib(std::uint64_t bytes) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(2) << static_cast<double>(bytes) / 1048576.0 << " MiB";
  return s.str();
}

std::optional<ggml::Type> parseType(const std::string& s) {
  auto t = ggml::typeFromName(s);
  if (t && ggml::canQuantize(*t)) return t;
  return std::nullopt;
}

int runExportGguf(const ExportGgufOptions& o) {
  using namespace ggml;
  if (o.type.empty() == o.mix.empty()) return fail("export-gguf: give exactly one of --type (pure) and --mix");
  if (o.out.empty() && !o.dryRun) return fail("export-gguf: --out is required (or --dry-run)");
  const std::string& name = o.type.empty() ? o.mix : o.type;
  const auto ft = fileTypeFromName(name);
  if (!ft) {
    std::string known;
    for (const auto& f : allFileTypes()) known += (known.empty() ? "" : ", ") + std::string(f.name);
    return fail("export-gguf: unknown type '" + name + "' (llama-quantize's names: " + known + ")");
  }
  ExportOptions opt;
  opt.fileType = *ft;
  opt.mix.pure = !o.type.empty();
  opt.mix.quantizeOutput = !o.leaveOutput;
  opt.allowRequantize = o.allowRequantize;
  if (!o.outputTensorType.empty()) {
    opt.mix.outputTensorType = parseType(o.outputTensorType);
    if (!opt.mix.outputTensorType) return fail("export-gguf: --output-tensor-type: unknown or unsupported type '" + o.outputTensorType + "'");
  }
  if (!o.tokenEmbeddingType.empty()) {
    opt.mix.tokenEmbeddingType = parseType(o.tokenEmbeddingType);
    if (!opt.mix.tokenEmbeddingType)
      return fail("export-gguf: --token-embedding-type: unknown or unsupported type '" + o.tokenEmbeddingType + "'");
  }
  for (const std::string& tt : o.tensorTypes) {
    const auto eq = tt.rfind('=');
    const auto t = eq == std::string::npos ? std::nullopt : parseType(tt.substr(eq + 1));
    if (!t || eq == 0) return fail("export-gguf: --tensor-type wants PATTERN=TYPE with a type Quench writes, got '" + tt + "'");
    opt.mix.tensorTypes.emplace_back(tt.substr(0, eq), *t);
  }
  Imatrix imatrix;
  if (!o.imatrix.empty()) {
    auto m = readImatrix(o.imatrix);
    if (!m) return fail(m.error().message);
    imatrix = std::move(*m);
    opt.imatrix = &imatrix;
    opt.imatrixFileName = o.imatrix;
  }

  Result<ExportPlan> plan = makeError("");
  if (o.dryRun) {
    auto src = openGgufFile(o.model);
    if (!src) return fail(src.error().message);
    plan = planExport(*src, opt);
  } else {
    std::stop_source stop;
    g_interrupted = 0;
    auto previous = std::signal(SIGINT, onSigint);
    const bool tty = ::isatty(STDERR_FILENO);
    int lastPercent = -1;
    Work work{stop.get_token(), [&](double done, double total) {
                if (g_interrupted) stop.request_stop();
                if (o.quiet) return;
                const int p = static_cast<int>(100.0 * done / total);
                if (p == lastPercent || (!tty && p % 10 != 0 && p != 100)) return;
                lastPercent = p;
                std::cerr << (tty ? "\r" : "") << "export-gguf: " << p << "%" << (tty ? "" : "\n") << std::flush;
              }};
    plan = exportGguf(o.model, o.out, opt, work);
    std::signal(SIGINT, previous);
    if (!o.quiet && tty && lastPercent >= 0) std::cerr << '\n';
  }
  if (!plan) return fail(plan.error().message);
  for (const auto& w : plan->warnings) std::cerr << "export-gguf: warning: " << w << '\n';

  const double bpw = plan->elements ? 8.0 * static_cast<double>(plan->bytesOut) / static_cast<double>(plan->elements) : 0.0;
  if (o.json) {
    nlohmann::ordered_json j;
    j["source"] = o.model;
    j["out"] = o.dryRun ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(o.out);
    j["file_type"] = std::string(fileTypeInfo(*ft).name);
    j["file_type_id"] = static_cast<std::uint32_t>(*ft);
    j["pure"] = opt.mix.pure;
    j["imatrix"] = o.imatrix.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(o.imatrix);
    j["bytes_in"] = plan->bytesIn;
    j["bytes_out"] = plan->bytesOut;
    j["parameters"] = plan->elements;
    j["bits_per_weight"] = bpw;
    j["fallbacks"] = plan->fallbacks;
    j["warnings"] = plan->warnings;
    auto& list = j["tensors"] = nlohmann::ordered_json::array();
    for (const auto& t : plan->tensors) {
      nlohmann::ordered_json e;
      e["name"] = t.name;
      e["ne"] = t.ne;
      e["from"] = std::string(typeInfo(t.from).name);
      e["to"] = std::string(typeInfo(t.to).name);
      e["quantized"] = t.quantize;
      e["imatrix"] = t.importance;
      e["bytes"] = t.bytesOut;
      if (!t.note.empty()) e["note"] = t.note;
      list.push_back(std::move(e));
    }
    std::cout << j.dump(2) << '\n';
    return 0;
  }
  if (o.dryRun) {
    for (std::size_t i = 0; i < plan->tensors.size(); ++i) {
      const auto& t = plan->tensors[i];
      std::cout << "[" << std::setw(4) << i + 1 << "/" << std::setw(4) << plan->tensors.size() << "] " << std::left << std::setw(36)
                << t.name << std::right << " " << std::setw(7) << typeInfo(t.from).ggmlName << " -> " << std::setw(7)
                << typeInfo(t.to).ggmlName << (t.importance ? "  (imatrix)" : "") << (t.note.empty() ? "" : "  " + t.note) << '\n';
    }
  }
  std::cout << (o.dryRun ? "would write " : "wrote ") << (o.dryRun ? std::string("") : o.out + ": ") << plan->tensors.size()
            << " tensors, " << mib(plan->bytesIn) << " -> " << mib(plan->bytesOut) << " (" << std::fixed << std::setprecision(2) << bpw
            << " bits per weight), file type " << fileTypeInfo(*ft).name << (opt.mix.pure ? " (pure)" : " (llama.cpp mix)") << '\n';
  return 0;
}

}  // namespace

Runner addExportGgufCommand(CLI::App& app) {
  auto o = std::make_shared<ExportGgufOptions>();
  auto* cmd = app.add_subcommand("export-gguf",
                                 "Re-quantize a GGUF model with llama.cpp's quantizers (bit-identical to llama-quantize)");
  cmd->add_option("MODEL", o->model, "Source GGUF model (F32/F16/BF16 tensors; quantized ones with --allow-requantize)")->required();
  cmd->add_option("--type", o->type,
                  "Every 2-D weight to this type, norms kept (llama-quantize --pure): Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, "
                  "Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS, F16, BF16, F32 or a mix name (Q4_K_M = Q4_K)");
  cmd->add_option("--mix", o->mix, "llama.cpp's per-tensor mix (llama-quantize without --pure): Q4_K_M, Q5_K_M, Q3_K_M, Q6_K, Q8_0, Q4_0, ...");
  cmd->add_option("--imatrix", o->imatrix, "Importance matrix from llama-imatrix (.gguf or legacy .dat)");
  cmd->add_option("--out", o->out, "Output GGUF (written beside, renamed into place when complete)");
  cmd->add_option("--output-tensor-type", o->outputTensorType, "Type of output.weight (llama-quantize --output-tensor-type)");
  cmd->add_option("--token-embedding-type", o->tokenEmbeddingType, "Type of token_embd.weight (--token-embedding-type)");
  cmd->add_option("--tensor-type", o->tensorTypes, "PATTERN=TYPE: tensors whose name matches the regex get TYPE (repeatable)");
  cmd->add_flag("--leave-output-tensor", o->leaveOutput, "Keep output.weight as it is");
  cmd->add_flag("--allow-requantize", o->allowRequantize, "Allow re-quantizing tensors that are already block-quantized");
  cmd->add_flag("--dry-run", o->dryRun, "Print each tensor's type and the sizes; write nothing");
  cmd->add_flag("--json", o->json, "Print the plan and sizes as JSON");
  cmd->add_flag("--quiet", o->quiet, "No progress on stderr");
  return [o] { return runExportGguf(*o); };
}

}  // namespace quench::cli
