// libFuzzer target for recipe JSON (core/recipe): any bytes give an error or a recipe whose JSON
// form reads back to a recipe with the same JSON form (recipeToJson is a fixed point after one
// round), and whose rules match names without crashing; never a crash, a hang or an unchecked
// allocation. Errors of the text parser start with "recipe: ".
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/recipe/recipe.h"

namespace {
void checkAt(bool ok, int line) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_recipe: property at line %d violated\n", line);
  std::abort();
}
}  // namespace
#define check(ok) checkAt((ok), __LINE__)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = quench::recipeFromJson(text);
  if (!r) {
    check(r.error().message.rfind("recipe: ", 0) == 0);
    return 0;
  }
  const std::string once = quench::recipeToJson(*r);
  auto back = quench::recipeFromJson(once);
  check(back.ok());
  check(quench::recipeToJson(*back) == once);
  for (std::string_view name : {"model.layers.0.self_attn.q_proj.weight", "blk.0.attn_q.weight", "", "[", "*"}) {
    for (std::size_t rank : {std::size_t{1}, std::size_t{2}}) {
      const auto rule = quench::matchRule(*r, name, rank);
      check(!rule || *rule < r->rules.size());
    }
  }
  return 0;
}
