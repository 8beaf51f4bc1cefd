#pragma once
// Where the demo language model (resources/demo-lm, made by tools/train_demo_lm.py) lies at run
// time: installed under <prefix>/share/quench/demo-lm, or in the source tree of a build.
#include <QString>

namespace quench::app {

/// The demo model's folder (a Hugging Face Llama folder for ModelPage::openModel), or an empty
/// string when neither the installed nor the build tree's copy is there.
QString demoModelDir();

/// demoModelDir()'s search with its inputs given: `appDir` is the executable's folder (the
/// installed copy is `appDir`/../share/quench/demo-lm), `sourceDir` the source tree's
/// resources/demo-lm. The installed copy wins; a folder counts only when it holds config.json,
/// tokenizer.json and model.safetensors. Returns the folder's canonical path, or empty.
QString findDemoModelDir(const QString& appDir, const QString& sourceDir);

}  // namespace quench::app
