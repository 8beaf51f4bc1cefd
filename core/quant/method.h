#pragma once
// The method registry (issue 12): every quantization method has one home, a MethodDescriptor,
// which tells the rest of Quench everything about it: its name and MATH.md formula, its
// parameters (param.h), its label, how its parts are laid out, its true bits per parameter, which
// calibration inputs it needs, the cross-parameter rules it enforces, and its quantize function.
// The recipe JSON, the quench-cli flags and their --help, the recipe editor's panels and the
// quantization views are generated from the descriptors; none of them names a method.
//
// A method's settings are its own struct (IntSettings, CodebookSettings, ...), held by
// MethodParams behind a small type-erased box: code that knows the method reads them typed
// (params.as<IntSettings>().bits), code that does not goes through the descriptor's parameter
// list (params.value("bits")). Adding a method: a settings struct and a TypedMethod<Settings> in
// one file pair under core/quant, one line in core/quant/method_registry.cpp, and its tests.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "core/exec/progress.h"
#include "core/quant/param.h"
#include "core/quant/partition.h"
#include "core/quant/types.h"
#include "core/tensor/result.h"
#include "core/tensor/tensor.h"

namespace quench {

class MethodDescriptor;

/// How much a label says: Long for titles and the status bar ("int8 sym · row · absmax"), Short
/// for legends and lists ("int8 row").
enum class LabelStyle { Long, Short };

/// How a method's result is divided into parts (the parts table, the part selector of the views).
struct PartLayout {
  enum class Kind {
    None,       ///< one report for the whole tensor (or parts with no element layout the views can use)
    Partition,  ///< parts of `partition` (MATH.md §1)
    Blocks,     ///< blocks of `block` consecutive elements
  };
  Kind kind = Kind::None;
  std::optional<PartitionSpec> partition;  ///< Kind::Partition
  std::size_t block = 0;                   ///< Kind::Blocks
  bool scale = true;       ///< parts have a scale worth showing
  bool saturation = true;  ///< the method can saturate (clip) elements
  /// Each part's grid is s·(n − b), n ∈ [L, U] (PartParams describes it completely), and s, b, L, U
  /// can be typed per part (the method has a ParamType::PartOverrides parameter).
  bool affineGrid = false;
  int gridBits = 8;         ///< affineGrid: k of the code grid typed clips must fit
  bool symmetricGrid = true;  ///< affineGrid: ±M (b = 0) or unsigned [0, 2^k − 1]
  /// Each part's grid is these normalized levels times the part's scale (codebooks), else empty.
  std::vector<float> levels;
};

/// Whether a method uses a calibration input.
enum class Need { None, Optional, Required };

/// The calibration inputs a method takes (MATH.md §13).
struct CalibrationNeeds {
  Need activations = Need::None;  ///< X (tokens × in) of the layer whose weight is quantized
  Need importance = Need::None;   ///< v_j per input column (llama.cpp's imatrix)
};

/// Calibration inputs for one weight W (out × in).
struct CalibrationInputs {
  const FloatTensor* activations = nullptr;  ///< X (tokens × in), row-major; null = none
  std::span<const float> importance;         ///< (in) importance per input column; empty = none
};

/// Everything a quantize function gets besides its settings.
struct QuantizeContext {
  const FloatTensor& tensor;  ///< the weight (a linear's W is (out × in), row-major)
  const Work& work;
  CalibrationInputs calibration;
  /// false: out.codes may be left empty (a view that shows only x̃ and its figures saves a pass).
  bool codes = true;
};

/// The type-erased box that holds a method's settings struct.
struct SettingsBox {
  virtual ~SettingsBox() = default;
  virtual std::unique_ptr<SettingsBox> clone() const = 0;
  virtual bool equals(const SettingsBox& other) const = 0;
  virtual const std::type_info& type() const = 0;
  virtual const void* data() const = 0;
  virtual void* data() = 0;
};

template <class S>
struct SettingsOf final : SettingsBox {
  S value;
  explicit SettingsOf(S v) : value(std::move(v)) {}
  std::unique_ptr<SettingsBox> clone() const override { return std::make_unique<SettingsOf>(value); }
  bool equals(const SettingsBox& other) const override {
    const auto* o = dynamic_cast<const SettingsOf*>(&other);
    return o && o->value == value;
  }
  const std::type_info& type() const override { return typeid(S); }
  const void* data() const override { return &value; }
  void* data() override { return &value; }
};

/// The parameters of one transform: which method, and its settings. A value type (copies are
/// deep), compared by method and settings.
class MethodParams {
 public:
  /// The defaults of the first registered method ("int": 8-bit symmetric per row, absmax).
  MethodParams();
  /// The defaults of `method`.
  explicit MethodParams(const MethodDescriptor& method);
  /// The defaults of the registered method `name`; an unknown name is a programmer error (aborts).
  static MethodParams defaults(std::string_view name);

  MethodParams(const MethodParams& other);
  MethodParams& operator=(const MethodParams& other);
  MethodParams(MethodParams&&) noexcept = default;
  MethodParams& operator=(MethodParams&&) noexcept = default;
  ~MethodParams() = default;

  const MethodDescriptor& method() const { return *m_method; }
  /// The method's name ("int").
  std::string_view name() const;

  /// The settings, typed; null when they are not exactly an S (another method's settings).
  template <class S>
  const S* get() const {
    return m_settings->type() == typeid(S) ? static_cast<const S*>(m_settings->data()) : nullptr;
  }
  template <class S>
  S* get() {
    return m_settings->type() == typeid(S) ? static_cast<S*>(m_settings->data()) : nullptr;
  }
  /// The settings, typed; another method's type is a programmer error (aborts with a message).
  template <class S>
  const S& as() const {
    if (const S* s = get<S>()) return *s;
    wrongType(typeid(S));
  }
  template <class S>
  S& as() {
    if (S* s = get<S>()) return *s;
    wrongType(typeid(S));
  }
  const void* settings() const { return m_settings->data(); }
  void* settings() { return m_settings->data(); }

  /// The value of parameter `key` (nullopt: the method has no such scalar parameter).
  std::optional<ParamValue> value(std::string_view key) const;
  /// Sets parameter `key` after validating the value alone (the error's path is the key; an
  /// unknown key is an error too). Cross-parameter rules are checked by validate().
  Status set(std::string_view key, const ParamValue& v);
  /// The per-part overrides, or null when the method has none.
  const PartOverrides* overrides() const;
  PartOverrides* overrides();

  /// The method's cross-parameter rules (e.g. ggml arithmetic needs the symmetric grid); the
  /// error's path names the key to fix.
  Status validate() const;
  /// After the user changed `key` from `before`: adjusts what the change invalidates (typed clip
  /// ranges after a bits change, overrides after a partition change). Never fails.
  void reconcile(const MethodParams& before, std::string_view key);

  /// Whether parameter `key` matters with the current values (the editor hides it otherwise:
  /// prune's partition for N:M); a recipe still writes it.
  bool isRelevant(std::string_view key) const;

  std::string label(LabelStyle style = LabelStyle::Long) const;
  /// True storage in bits per parameter, metadata included, for a tensor of `shape` (nullopt when
  /// it depends on the data, e.g. LLM.int8()'s outlier columns, or on a shape not given).
  std::optional<double> bitsPerParam(std::span<const std::int64_t> shape = {}) const;
  PartLayout partLayout() const;

  /// Quantizes ctx.tensor into `out`, reusing its buffers where the method can. Checks the
  /// calibration inputs the method needs first. On error `out` is unspecified.
  Status quantize(const QuantizeContext& ctx, QuantResult& out) const;
  /// What the calibrator proposes per part before overrides (methods with affineGrid), for the
  /// editor's proposal column.
  Result<std::vector<PartParams>> proposal(const QuantizeContext& ctx) const;

  friend bool operator==(const MethodParams& a, const MethodParams& b);

 private:
  MethodParams(const MethodDescriptor* method, std::unique_ptr<SettingsBox> settings);
  [[noreturn]] void wrongType(const std::type_info& wanted) const;

  const MethodDescriptor* m_method;
  std::unique_ptr<SettingsBox> m_settings;
};

/// Descriptive facts of a method.
struct MethodInfo {
  std::string name;     ///< recipe and CLI spelling: "int"
  std::string title;    ///< editor's combo: "int (uniform integer grid)"
  std::string formula;  ///< MATH.md formula, the tooltip of the method
  std::string section;  ///< where MATH.md defines it: "§2"
  CalibrationNeeds needs;
};

/// One quantization method. Implement TypedMethod<Settings>, not this.
class MethodDescriptor {
 public:
  explicit MethodDescriptor(MethodInfo info, std::vector<ParamDescriptor> params);
  virtual ~MethodDescriptor() = default;
  MethodDescriptor(const MethodDescriptor&) = delete;
  MethodDescriptor& operator=(const MethodDescriptor&) = delete;

  std::string_view name() const { return m_info.name; }
  const MethodInfo& info() const { return m_info; }
  /// The parameters, in recipe order (the canonical JSON writes them in this order).
  const std::vector<ParamDescriptor>& params() const { return m_params; }
  const ParamDescriptor* param(std::string_view key) const;
  MethodParams defaults() const { return MethodParams(*this); }

 private:
  friend class MethodParams;
  // The behaviour on a settings struct of this method (TypedMethod casts and forwards).
  virtual std::unique_ptr<SettingsBox> makeSettings() const = 0;
  virtual std::string labelImpl(const void* s, LabelStyle style) const = 0;
  virtual std::optional<double> bitsImpl(const void* s, std::span<const std::int64_t> shape) const = 0;
  virtual PartLayout layoutImpl(const void* s) const = 0;
  virtual Status validateImpl(const void* s) const = 0;
  virtual void reconcileImpl(void* next, const void* before, std::string_view key) const = 0;
  virtual bool relevantImpl(const void* s, std::string_view key) const = 0;
  virtual Status quantizeImpl(const void* s, const QuantizeContext& ctx, QuantResult& out) const = 0;
  virtual Result<std::vector<PartParams>> proposalImpl(const void* s, const QuantizeContext& ctx) const = 0;

  MethodInfo m_info;
  std::vector<ParamDescriptor> m_params;
};

/// The base of a method whose settings struct is S (default-constructible, copyable, ==).
template <class S>
class TypedMethod : public MethodDescriptor {
 public:
  using Settings = S;
  using MethodDescriptor::MethodDescriptor;

 protected:
  /// "int8 sym · row · absmax" / "int8 row".
  virtual std::string label(const S& s, LabelStyle style) const = 0;
  virtual Status quantize(const S& s, const QuantizeContext& ctx, QuantResult& out) const = 0;
  virtual std::optional<double> bitsPerParam(const S&, std::span<const std::int64_t>) const { return std::nullopt; }
  virtual PartLayout partLayout(const S&) const { return {}; }
  virtual Status validate(const S&) const { return {}; }
  virtual void reconcile(S&, const S&, std::string_view) const {}
  virtual bool relevant(const S&, std::string_view) const { return true; }
  virtual Result<std::vector<PartParams>> proposal(const S&, const QuantizeContext&) const {
    return makeError(std::string(name()) + ": no calibrator proposal");
  }

 private:
  static const S& typed(const void* s) { return *static_cast<const S*>(s); }
  std::unique_ptr<SettingsBox> makeSettings() const final { return std::make_unique<SettingsOf<S>>(S{}); }
  std::string labelImpl(const void* s, LabelStyle style) const final { return label(typed(s), style); }
  std::optional<double> bitsImpl(const void* s, std::span<const std::int64_t> shape) const final {
    return bitsPerParam(typed(s), shape);
  }
  PartLayout layoutImpl(const void* s) const final { return partLayout(typed(s)); }
  Status validateImpl(const void* s) const final { return validate(typed(s)); }
  void reconcileImpl(void* next, const void* before, std::string_view key) const final {
    reconcile(*static_cast<S*>(next), typed(before), key);
  }
  bool relevantImpl(const void* s, std::string_view key) const final { return relevant(typed(s), key); }
  Status quantizeImpl(const void* s, const QuantizeContext& ctx, QuantResult& out) const final {
    return quantize(typed(s), ctx, out);
  }
  Result<std::vector<PartParams>> proposalImpl(const void* s, const QuantizeContext& ctx) const final {
    return proposal(typed(s), ctx);
  }
};

/// Every registered method: the built-in ones (method_registry.cpp) first, then those added with
/// registerMethod, in registration order.
const std::vector<const MethodDescriptor*>& registeredMethods();
/// The method called `name`, or null.
const MethodDescriptor* findMethod(std::string_view name);
/// "int, float, nf4, fp4, prune or llm-int8" (for messages and --help).
std::string methodNamesText();
/// Adds a method after the others (a test's, or an extension's). Errors: the name is taken, two
/// parameters share a key, or a CLI flag another method uses is a switch here and takes a value
/// there (or the other way round). Register before any thread reads the registry.
Status registerMethod(std::unique_ptr<MethodDescriptor> method);

}  // namespace quench
