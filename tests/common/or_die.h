#pragma once
// The value of a Result a test cannot go on without: on an error, the test binary stops with the
// error's message (qFatal), which names the file or key at fault. For set-up steps only; a result
// under test is checked with QVERIFY2 and its message instead.
#include <QtGlobal>

#include <utility>

#include "core/tensor/result.h"

namespace quench::test {

template <class T>
T orDie(Result<T> r) {
  if (!r) qFatal("%s", r.error().message.c_str());
  return std::move(r).value();
}

}  // namespace quench::test
