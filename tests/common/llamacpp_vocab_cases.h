#pragma once
// llama.cpp's tokenizer test sets (test-tokenizer-0): VOCAB.gguf.inp holds the cases separated by
// "\n__ggml_vocab_test__\n" (the file ends with one), VOCAB.gguf.out one line of expected ids per
// case, encoded without BOS/EOS and without parsing special tokens.
#include <QFile>
#include <QString>

#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace quench::test {

struct VocabCase {
  std::string text;
  std::vector<int> ids;
};

inline std::vector<VocabCase> readVocabCases(const QString& gguf) {
  QFile inp(gguf + ".inp"), out(gguf + ".out");
  if (!inp.open(QIODevice::ReadOnly) || !out.open(QIODevice::ReadOnly)) qFatal("cannot read %s.inp/.out", qPrintable(gguf));
  const std::string raw = inp.readAll().toStdString();
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<VocabCase> cases;
  for (std::size_t pos = 0; pos < raw.size();) {
    const std::size_t next = raw.find(sep, pos);
    cases.push_back({raw.substr(pos, next == std::string::npos ? std::string::npos : next - pos), {}});
    if (next == std::string::npos) break;
    pos = next + sep.size();
  }
  std::istringstream lines(out.readAll().toStdString());
  std::string line;
  for (auto& c : cases) {
    if (!std::getline(lines, line)) qFatal("%s.out has fewer lines than cases", qPrintable(gguf));
    std::istringstream ids(line);
    for (int id; ids >> id;) c.ids.push_back(id);
  }
  return cases;
}

}  // namespace quench::test
