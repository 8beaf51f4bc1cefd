#include "core/quant/codebook_method.h"

#include "core/quant/codebook.h"

namespace quench {

namespace {

std::vector<ParamDescriptor> codebookParams() {
  using P = ParamsOf<CodebookSettings>;
  std::vector<ParamDescriptor> list;
  list.push_back(P::integer("block", &CodebookSettings::block, 1, 1 << 24)
                     .withId("codebook_block")
                     .withLabel("block size B")
                     .withNoun("block size")
                     .withUnit("elements")
                     .withHelp("absmax block B")
                     .withFormula("block of B consecutive values: a = max|x|, n = argmin |x/a − c_n|, x̃ = a·c_n\n"
                                  "bits/param = k + 32/B (NF4, B = 64: 4.5)"));
  list.push_back(P::boolean("double_quant", &CodebookSettings::doubleQuant)
                     .withLabel("double quant")
                     .withCheckText("quantize the absmax constants")
                     .withHelp("quantize the block constants too (QLoRA)")
                     .withFormula("quantize the block absmax constants themselves: subtract their mean, 8 bits per 256 "
                                  "blocks\nbits/param = k + 8/B + 32/(256·B) (NF4, B = 64: 4.127)"));
  return list;
}

class CodebookMethod final : public TypedMethod<CodebookSettings> {
 public:
  CodebookMethod(std::string name, std::string title, Codebook codebook)
      : TypedMethod({std::move(name), std::move(title),
                     "per block a = max|x|, n = argmin |x/a − c_n|, x̃ = a·c_n", "§4", {}},
                    codebookParams()),
        m_codebook(std::move(codebook)) {}

 protected:
  std::string label(const CodebookSettings& s, LabelStyle style) const override {
    const std::string n(name());
    if (style == LabelStyle::Short) return n + " block " + std::to_string(s.block) + (s.doubleQuant ? " dq" : "");
    return n + " · block " + std::to_string(s.block) + (s.doubleQuant ? " · double quant" : "");
  }

  // quantizeCodebook's storage: k bits per element and per block a 32-bit absmax, or with double
  // quantization an 8-bit code per block, an fp32 scale per 256 blocks and the fp32 mean. Without
  // a shape: the nominal k + 32/B (or k + 8/B + 32/(256·B)).
  std::optional<double> bitsPerParam(const CodebookSettings& s, std::span<const std::int64_t> shape) const override {
    const CodebookParams p = params(s);
    if (shape.empty()) return codebookBitsPerParam(m_codebook.bits, s.block, s.doubleQuant, p.dqBlockSize);
    std::uint64_t n = 1;
    for (std::int64_t d : shape) n *= static_cast<std::uint64_t>(d);
    if (n == 0) return std::nullopt;
    const std::uint64_t blocks = (n + s.block - 1) / s.block;
    double bits = m_codebook.bits * static_cast<double>(n);
    if (s.doubleQuant)
      bits += 8.0 * static_cast<double>(blocks) +
              32.0 * static_cast<double>((blocks + p.dqBlockSize - 1) / p.dqBlockSize) + 32.0;
    else
      bits += 32.0 * static_cast<double>(blocks);
    return bits / static_cast<double>(n);
  }

  PartLayout partLayout(const CodebookSettings& s) const override {
    PartLayout l;
    l.kind = PartLayout::Kind::Blocks;
    l.block = s.block;
    l.saturation = false;  // absmax scaling never clips
    l.levels = m_codebook.levels;
    return l;
  }

  Status quantize(const CodebookSettings& s, const QuantizeContext& ctx, QuantResult& out) const override {
    auto r = quantizeCodebook(ctx.tensor.values, params(s), ctx.work);
    if (!r) return r.error();
    out = QuantResult(std::move(static_cast<QuantResult&>(*r)));
    return {};
  }

 private:
  CodebookParams params(const CodebookSettings& s) const {
    CodebookParams cp;
    cp.codebook = m_codebook;
    cp.blockSize = s.block;
    cp.doubleQuant = s.doubleQuant;
    return cp;
  }

  Codebook m_codebook;
};

}  // namespace

const MethodDescriptor& nf4Method() {
  static const CodebookMethod m("nf4", "nf4 (NormalFloat codebook)", nf4Codebook());
  return m;
}

const MethodDescriptor& fp4Method() {
  static const CodebookMethod m("fp4", "fp4 (bitsandbytes codebook)", fp4BnbCodebook());
  return m;
}

}  // namespace quench
