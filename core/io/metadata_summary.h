#pragma once
// A file's metadata as people and scripts want to see it: every key, typed when the format types
// its metadata (GGUF), arrays summarized by their element type, length and first elements (a
// 150k-token vocabulary is "string[151936]: ["!", "\"", "#", …]", never 150k strings).
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "core/io/reader.h"

namespace quench {

/// One metadata key, summarized.
struct MetadataEntry {
  std::string key;
  /// "uint32", "float32", "string", "bool", …; arrays "<element type>[<length>]" ("string[512]",
  /// "array[3]" for nested arrays); "" for formats whose metadata is plain text.
  std::string type;
  /// One line for a table cell: the scalar (line breaks shown as ↵), or an array's first elements
  /// as JSON values separated by ", " with a trailing "…" when there are more.
  std::string text;
  /// For JSON output: the scalar as a typed JSON value (numbers, bools, strings; NaN/Inf as null),
  /// or for an array {"type": "array", "element_type", "length", "first": [first elements]}.
  nlohmann::ordered_json json;
};

/// Every key of `reader.metadata()`, in file order.
std::vector<MetadataEntry> summarizeMetadata(const TensorReader& reader);
/// The same as one JSON object, key → MetadataEntry::json (inspect --json's "metadata").
nlohmann::ordered_json metadataJson(const TensorReader& reader);

}  // namespace quench
