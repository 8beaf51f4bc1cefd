#pragma once
// Strict JSON parsing for headers and indexes (private to core/io). nlohmann keeps the last of two
// equal keys in one object silently; for a safetensors header or a shard index that would hide a
// tensor listed twice, so a repeated key is an error here, named with the object it is in.
// The result is an std::map-backed nlohmann::json: nlohmann::ordered_json inserts by linear search,
// so a hostile header with 10^6 keys would take hours; file order, where it matters (metadata), is
// recorded separately.
#include <nlohmann/json.hpp>

#include "core/io/text_file.h"

#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace quench::io {

/// Parses `text` into `out`; returns an error text ("not valid JSON: ..." or "key 'k' appears
/// twice in object 'o'") or nullopt on success. When `orderOf` names a member of the top-level
/// object that is an object itself, `order` receives its keys in file order. JSON nested deeper
/// than kMaxJsonDepth is an error.
inline std::optional<std::string> parseJsonStrict(std::string_view text, nlohmann::json& out,
                                                  std::string_view orderOf = {},
                                                  std::vector<std::string>* order = nullptr) {
  using Json = nlohmann::json;
  if (auto deep = jsonDepthError(text)) return *deep;  // metadata is later dump()ed recursively
  struct Frame {
    std::string name;  // the key this object is the value of ("" for the top level or in arrays)
    std::unordered_set<std::string> seen;
  };
  struct Duplicate {
    std::string message;
  };
  std::vector<Frame> stack;
  std::string lastKey;
  auto callback = [&](int, nlohmann::detail::parse_event_t event, Json& parsed) {
    using E = nlohmann::detail::parse_event_t;
    switch (event) {
      case E::object_start:
        stack.push_back({lastKey, {}});
        lastKey.clear();
        break;
      case E::object_end:
        if (!stack.empty()) stack.pop_back();
        lastKey.clear();
        break;
      case E::array_start:
        lastKey.clear();
        break;
      case E::key:
        lastKey = parsed.get<std::string>();
        if (order && stack.size() == 2 && stack.back().name == orderOf && !orderOf.empty()) order->push_back(lastKey);
        if (!stack.empty() && !stack.back().seen.insert(lastKey).second)
          throw Duplicate{"key '" + lastKey + "' appears twice in " +
                          (stack.back().name.empty() ? std::string("the top-level object")
                                                     : "object '" + stack.back().name + "'")};
        break;
      default:
        break;
    }
    return true;
  };
  try {
    out = Json::parse(text.begin(), text.end(), callback);
  } catch (const Duplicate& d) {
    return d.message;
  } catch (const std::exception& ex) {
    return std::string("not valid JSON: ") + ex.what();
  }
  return std::nullopt;
}

}  // namespace quench::io
