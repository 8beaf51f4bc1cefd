#include "core/io/metadata_summary.h"

namespace quench {
namespace {

bool isNumberType(const std::string& t) {
  return t.rfind("uint", 0) == 0 || t.rfind("int", 0) == 0 || t.rfind("float", 0) == 0;
}

/// A typed scalar's text (as the reader rendered it) as a JSON value.
nlohmann::ordered_json typedScalar(const std::string& type, const std::string& text) {
  if (type == "string") return text;
  if (type == "bool") return text == "true";
  if (isNumberType(type)) {
    // Integers keep all 64 bits; floats are their shortest round-trip text. "nan", "inf" → null.
    auto v = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
    return v.is_number() ? v : nlohmann::ordered_json(nullptr);
  }
  return text;
}

std::string oneLine(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\n') out += "\xE2\x86\xB5";  // ↵
    else if (c != '\r') out += c;
  }
  return out;
}

}  // namespace

std::vector<MetadataEntry> summarizeMetadata(const TensorReader& reader) {
  const Metadata& meta = reader.metadata();
  const std::vector<MetadataType>& types = reader.metadataTypes();
  const bool typed = types.size() == meta.size();
  std::vector<MetadataEntry> out;
  out.reserve(meta.size());
  for (std::size_t i = 0; i < meta.size(); ++i) {
    MetadataEntry e;
    e.key = meta[i].first;
    if (!typed) {
      e.text = oneLine(meta[i].second);
      e.json = meta[i].second;
    } else if (types[i].type == "array") {
      const MetadataType& t = types[i];
      e.type = t.elementType + "[" + std::to_string(t.length) + "]";
      // The reader's head is JSON it wrote itself; parse it to re-join the elements readably.
      auto first = nlohmann::ordered_json::parse(t.head, nullptr, /*allow_exceptions=*/false);
      if (!first.is_array()) first = nlohmann::ordered_json::array();
      std::string text = "[";
      for (std::size_t k = 0; k < first.size(); ++k) {
        if (k) text += ", ";
        text += first[k].dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
      }
      if (t.length > first.size()) text += first.empty() ? "…" : ", …";
      text += "]";
      e.text = oneLine(text);
      e.json = {{"type", "array"}, {"element_type", t.elementType}, {"length", t.length}, {"first", std::move(first)}};
    } else {
      e.type = types[i].type;
      e.text = oneLine(meta[i].second);
      e.json = typedScalar(types[i].type, meta[i].second);
    }
    out.push_back(std::move(e));
  }
  return out;
}

nlohmann::ordered_json metadataJson(const TensorReader& reader) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (MetadataEntry& e : summarizeMetadata(reader)) j[e.key] = std::move(e.json);
  return j;
}

}  // namespace quench
