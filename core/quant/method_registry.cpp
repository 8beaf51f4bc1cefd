// The built-in quantization methods, one line each, in the order the recipe editor's method box
// and the messages list them ("int, float, nf4, fp4, prune or llm-int8"). A new method is its file
// pair under core/quant and one line here; see README "Adding a quantization method".
#include <vector>

#include "core/quant/codebook_method.h"
#include "core/quant/float_method.h"
#include "core/quant/integer_method.h"
#include "core/quant/llm_int8_method.h"
#include "core/quant/prune_method.h"

namespace quench {

std::vector<const MethodDescriptor*> builtinMethods() {
  return {
      &integerMethod(),
      &floatMethod(),
      &nf4Method(),
      &fp4Method(),
      &pruneMethod(),
      &llmInt8Method(),
  };
}

}  // namespace quench
