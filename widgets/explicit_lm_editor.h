#pragma once
// Editor of two small explicit language models P and Q (MATH.md §9, core/divergence/explicit_lm.h):
// a vocabulary of a few symbols, a context length k, and for each model a table with one row per
// context of 0..k tokens (the row of a longer prefix is that of its last k tokens) and one column
// per symbol holding P(symbol | context). k = 0 is an i.i.d. model, k = 1 a bigram, k = n − 1 a
// table per position. It produces the JSON that ExplicitLm::fromJson reads; it computes nothing.
#include <QWidget>

#include <nlohmann/json_fwd.hpp>

class QLabel;
class QLineEdit;
class QSpinBox;
class QTableWidget;

namespace quench::widgets {

class ExplicitLmEditor : public QWidget {
  Q_OBJECT
 public:
  enum Model { kP = 0, kQ = 1 };
  /// Most contexts a table may have (rows); larger vocabularies or k are refused.
  static constexpr int kMaxRows = 64;

  explicit ExplicitLmEditor(QWidget* parent = nullptr);

  /// Space-separated symbols, e.g. "H T".
  QStringList vocab() const;
  int contextLength() const;
  /// Set vocabulary and context length; cells of contexts that stay keep their values, new cells
  /// get the uniform pmf.
  void setShape(const QStringList& vocab, int contextLength);
  /// Load both models from explicit-LM JSON (same vocabulary). The context length becomes the
  /// longest key of either; each row gets the pmf of its longest suffix that is a key.
  /// Returns an empty string, or what is wrong.
  QString setModels(const nlohmann::json& p, const nlohmann::json& q);
  /// The model as explicit-LM JSON; false with `error` set when a cell is not a number.
  bool modelJson(Model which, nlohmann::json* out, QString* error) const;
  /// P(symbol | context) as typed; context as space-joined symbols ("" for the start).
  double probability(Model which, const QString& context, int symbol) const;
  void setProbability(Model which, const QString& context, int symbol, double value);
  /// Divide each row of both tables by its sum (rows summing to zero are left as they are).
  void normalizeRows();
  void setPresentation(bool on);
  QTableWidget* table(Model which) const { return which == kP ? m_p : m_q; }

 signals:
  /// Any edit of vocabulary, context length or a cell.
  void edited();

 private:
  void rebuild(const QStringList& vocab, int contextLength);
  void updateSums();
  int rowOf(const QString& context) const;

  QLineEdit* m_vocab;
  QSpinBox* m_order;
  QLabel* m_pLabel;
  QLabel* m_qLabel;
  QLabel* m_note;
  QTableWidget* m_p;
  QTableWidget* m_q;
  QStringList m_contexts;  // row → context (space-joined)
  QStringList m_symbols;
  bool m_updating = false;
  bool m_presentation = false;
};

}  // namespace quench::widgets
