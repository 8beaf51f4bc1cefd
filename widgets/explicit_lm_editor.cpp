#include "widgets/explicit_lm_editor.h"

#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>
#include <nlohmann/json.hpp>

#include <cmath>

#include "widgets/classroom_style.h"
#include "widgets/plot_style.h"

namespace quench::widgets {
namespace {

// Contexts of 0..k symbols, shortest first, each length in lexicographic (odometer) order.
QStringList contextsOf(const QStringList& vocab, int k) {
  QStringList out{QString()};
  QList<QStringList> level{QStringList{}};
  for (int len = 1; len <= k; ++len) {
    QList<QStringList> next;
    for (const QStringList& c : level)
      for (const QString& s : vocab) next << (QStringList(c) << s);
    for (const QStringList& c : next) out << c.join(QLatin1Char(' '));
    level = next;
  }
  return out;
}

std::size_t rowsFor(int v, int k) {
  std::size_t rows = 0, level = 1;
  for (int len = 0; len <= k; ++len) {
    rows += level;
    level *= std::size_t(std::max(v, 1));
  }
  return rows;
}

}  // namespace

ExplicitLmEditor::ExplicitLmEditor(QWidget* parent) : QWidget(parent) {
  m_vocab = new QLineEdit(QStringLiteral("H T"), this);
  m_vocab->setToolTip(tr("The symbols of the vocabulary, separated by spaces"));
  m_order = new QSpinBox(this);
  m_order->setRange(0, 4);
  m_order->setToolTip(tr("Context length k: the next-token table of a prefix is the row of its last k symbols "
                         "(0: independent tokens, 1: bigram, n − 1: one table per position). Shorter prefixes "
                         "(the first positions) have their own rows."));
  auto* normalize = new QPushButton(tr("Normalise rows"), this);
  normalize->setToolTip(tr("Divide every row of both tables by its sum"));
  m_pLabel = new QLabel(tr("<b>P</b> (reference): P(next | context)"), this);
  m_qLabel = new QLabel(tr("<b>Q</b> (approximation): Q(next | context)"), this);
  m_note = new QLabel(this);
  m_note->setWordWrap(true);
  m_p = new QTableWidget(this);
  m_q = new QTableWidget(this);
  for (QTableWidget* t : {m_p, m_q}) {
    t->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    connect(t, &QTableWidget::cellChanged, this, [this] {
      if (m_updating) return;
      updateSums();
      emit edited();
    });
  }
  auto* form = new QHBoxLayout;
  form->addWidget(new QLabel(tr("Vocabulary:"), this));
  form->addWidget(m_vocab, 1);
  form->addWidget(new QLabel(tr("context length k:"), this));
  form->addWidget(m_order);
  form->addWidget(normalize);
  auto* tables = new QHBoxLayout;
  auto* pl = new QVBoxLayout;
  pl->addWidget(m_pLabel);
  pl->addWidget(m_p);
  pl->addStretch(1);  // the tables are as tall as their rows; the space left goes below them
  auto* ql = new QVBoxLayout;
  ql->addWidget(m_qLabel);
  ql->addWidget(m_q);
  ql->addStretch(1);
  tables->addLayout(pl, 1);
  tables->addLayout(ql, 1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addLayout(form);
  layout->addLayout(tables, 1);
  layout->addWidget(m_note);

  connect(m_vocab, &QLineEdit::editingFinished, this, [this] {
    const QStringList v = m_vocab->text().split(QLatin1Char(' '), Qt::SkipEmptyParts);
    if (v == m_symbols) return;
    setShape(v, m_order->value());
    emit edited();
  });
  connect(m_order, &QSpinBox::valueChanged, this, [this](int k) {
    if (m_updating) return;
    setShape(m_symbols, k);
    emit edited();
  });
  connect(normalize, &QPushButton::clicked, this, [this] {
    normalizeRows();
    emit edited();
  });
  rebuild({QStringLiteral("H"), QStringLiteral("T")}, 0);
}

QStringList ExplicitLmEditor::vocab() const { return m_symbols; }
int ExplicitLmEditor::contextLength() const { return m_order->value(); }

void ExplicitLmEditor::setShape(const QStringList& vocab, int contextLength) { rebuild(vocab, contextLength); }

void ExplicitLmEditor::rebuild(const QStringList& vocabIn, int k) {
  QStringList vocab;
  for (const QString& s : vocabIn)
    if (!s.isEmpty() && !vocab.contains(s)) vocab << s;
  if (vocab.isEmpty()) vocab << QStringLiteral("A");
  while (k > 0 && rowsFor(int(vocab.size()), k) > std::size_t(kMaxRows)) --k;
  // Keep what was typed for contexts and symbols that stay.
  QHash<QString, double> old[2];
  for (int m = 0; m < 2; ++m)
    for (int r = 0; r < m_contexts.size(); ++r)
      for (int c = 0; c < m_symbols.size(); ++c)
        if (const QTableWidgetItem* it = table(Model(m))->item(r, c))
          old[m].insert(m_contexts[r] + QLatin1Char('\x1f') + m_symbols[c], it->text().toDouble());
  m_updating = true;
  m_symbols = vocab;
  m_contexts = contextsOf(vocab, k);
  m_vocab->setText(vocab.join(QLatin1Char(' ')));
  m_order->setValue(k);
  QStringList rowNames;
  for (const QString& c : m_contexts) rowNames << (c.isEmpty() ? tr("(start)") : c);
  for (int m = 0; m < 2; ++m) {
    QTableWidget* t = table(Model(m));
    t->clear();
    t->setColumnCount(int(vocab.size()) + 1);
    t->setRowCount(int(m_contexts.size()));
    t->setHorizontalHeaderLabels(QStringList(vocab) << QStringLiteral("Σ"));
    t->setVerticalHeaderLabels(rowNames);
    const bool kept = !old[m].isEmpty();
    for (int r = 0; r < m_contexts.size(); ++r) {
      bool rowKnown = kept;
      for (int c = 0; c < vocab.size(); ++c)
        rowKnown = rowKnown && old[m].contains(m_contexts[r] + QLatin1Char('\x1f') + vocab[c]);
      for (int c = 0; c < vocab.size(); ++c) {
        const double v = rowKnown ? old[m].value(m_contexts[r] + QLatin1Char('\x1f') + vocab[c])
                                  : 1.0 / double(vocab.size());
        auto* it = new QTableWidgetItem(formatExact(v));
        it->setTextAlignment(Qt::AlignVCenter | Qt::AlignRight);
        t->setItem(r, c, it);
      }
      auto* sum = new QTableWidgetItem;
      sum->setFlags(Qt::ItemIsEnabled);
      sum->setTextAlignment(Qt::AlignVCenter | Qt::AlignRight);
      t->setItem(r, int(vocab.size()), sum);
    }
  }
  m_note->setText(tr("Rows: contexts of 0 to %1 symbols; a longer prefix uses the row of its last %1 symbols. "
                     "Each row is a pmf (Σ = 1).")
                      .arg(k));
  m_updating = false;
  updateSums();
  setPresentation(m_presentation);
}

void ExplicitLmEditor::updateSums() {
  const bool was = m_updating;
  m_updating = true;
  QColor bad = okabeIto::kVermilion;
  bad.setAlphaF(0.25);
  for (int m = 0; m < 2; ++m) {
    QTableWidget* t = table(Model(m));
    for (int r = 0; r < t->rowCount(); ++r) {
      double s = 0;
      bool ok = true;
      for (int c = 0; c < m_symbols.size(); ++c) {
        bool cellOk = false;
        const double v = t->item(r, c) ? t->item(r, c)->text().toDouble(&cellOk) : 0;
        ok = ok && cellOk && v >= 0 && std::isfinite(v);
        s += v;
      }
      QTableWidgetItem* it = t->item(r, int(m_symbols.size()));
      if (!it) continue;
      it->setText(ok ? formatReal(s, 6) : tr("?"));
      it->setBackground(ok && std::fabs(s - 1) <= 1e-9 ? QBrush() : QBrush(bad));
    }
  }
  m_updating = was;
}

int ExplicitLmEditor::rowOf(const QString& context) const { return int(m_contexts.indexOf(context)); }

QString ExplicitLmEditor::setModels(const nlohmann::json& p, const nlohmann::json& q) {
  try {
    const auto vp = p.at("vocab").get<std::vector<std::string>>();
    const auto vq = q.at("vocab").get<std::vector<std::string>>();
    if (vp != vq) return tr("P and Q must share the vocabulary");
    QStringList vocab;
    for (const auto& s : vp) vocab << QString::fromStdString(s);
    int k = 0;
    for (const nlohmann::json* j : {&p, &q}) {
      const nlohmann::json& next = j->at("next");
      if (!next.is_object()) return tr("\"next\" must be an object of context -> pmf");
      for (auto it = next.begin(); it != next.end(); ++it)
        k = std::max(k, int(QString::fromStdString(it.key()).split(QLatin1Char(' '), Qt::SkipEmptyParts).size()));
    }
    if (vocab.isEmpty()) return tr("empty vocabulary");
    m_contexts.clear();  // start from uniform tables
    rebuild(vocab, k);
    m_updating = true;
    for (int m = 0; m < 2; ++m) {
      const nlohmann::json& next = (m == 0 ? p : q).at("next");
      for (int r = 0; r < m_contexts.size(); ++r) {
        // The row's pmf: its longest suffix that is a key.
        QStringList toks = m_contexts[r].split(QLatin1Char(' '), Qt::SkipEmptyParts);
        const nlohmann::json* pmf = nullptr;
        for (qsizetype drop = 0; drop <= toks.size() && !pmf; ++drop) {
          const std::string key = toks.mid(drop).join(QLatin1Char(' ')).toStdString();
          if (next.contains(key)) pmf = &next.at(key);
        }
        if (!pmf) continue;
        for (int c = 0; c < vocab.size() && c < int(pmf->size()); ++c)
          table(Model(m))->item(r, c)->setText(formatExact(pmf->at(std::size_t(c)).get<double>()));
      }
    }
    m_updating = false;
    updateSums();
  } catch (const nlohmann::json::exception& e) {
    m_updating = false;
    return tr("not an explicit LM: %1").arg(QString::fromUtf8(e.what()));
  }
  emit edited();
  return {};
}

bool ExplicitLmEditor::modelJson(Model which, nlohmann::json* out, QString* error) const {
  const QTableWidget* t = table(which);
  nlohmann::json j;
  std::vector<std::string> vocab;
  for (const QString& s : m_symbols) vocab.push_back(s.toStdString());
  j["vocab"] = vocab;
  nlohmann::json next = nlohmann::json::object();
  for (int r = 0; r < m_contexts.size(); ++r) {
    std::vector<double> pmf;
    for (int c = 0; c < m_symbols.size(); ++c) {
      bool ok = false;
      const double v = t->item(r, c) ? t->item(r, c)->text().trimmed().toDouble(&ok) : 0;
      if (!ok) {
        if (error)
          *error = tr("%1: cell (%2, %3) is not a number")
                       .arg(which == kP ? QStringLiteral("P") : QStringLiteral("Q"),
                            m_contexts[r].isEmpty() ? tr("start") : m_contexts[r], m_symbols[c]);
        return false;
      }
      pmf.push_back(v);
    }
    next[m_contexts[r].toStdString()] = pmf;
  }
  j["next"] = std::move(next);
  *out = std::move(j);
  return true;
}

double ExplicitLmEditor::probability(Model which, const QString& context, int symbol) const {
  const int r = rowOf(context);
  const QTableWidgetItem* it = r >= 0 ? table(which)->item(r, symbol) : nullptr;
  return it ? it->text().toDouble() : std::nan("");
}

void ExplicitLmEditor::setProbability(Model which, const QString& context, int symbol, double value) {
  const int r = rowOf(context);
  if (r < 0 || symbol < 0 || symbol >= m_symbols.size()) return;
  table(which)->item(r, symbol)->setText(formatExact(value));
}

void ExplicitLmEditor::normalizeRows() {
  m_updating = true;
  for (int m = 0; m < 2; ++m) {
    QTableWidget* t = table(Model(m));
    for (int r = 0; r < t->rowCount(); ++r) {
      double s = 0;
      for (int c = 0; c < m_symbols.size(); ++c) s += t->item(r, c)->text().toDouble();
      if (!(s > 0) || !std::isfinite(s)) continue;
      for (int c = 0; c < m_symbols.size(); ++c)
        t->item(r, c)->setText(formatExact(t->item(r, c)->text().toDouble() / s));
    }
  }
  m_updating = false;
  updateSums();
}

void ExplicitLmEditor::setPresentation(bool on) {
  m_presentation = on;
  const double scale = on ? kPresentationScale : 1.0;
  const QFont base = QWidget::font();
  for (QWidget* w : {static_cast<QWidget*>(m_vocab), static_cast<QWidget*>(m_order)}) w->setFont(scaledFont(base, scale));
  for (QLabel* l : findChildren<QLabel*>()) l->setFont(scaledFont(base, scale));
  for (QPushButton* b : findChildren<QPushButton*>()) b->setFont(scaledFont(base, scale));
  for (QTableWidget* t : {m_p, m_q}) {
    applyTableScale(*t, base, scale);
    t->verticalHeader()->setFont(scaledFont(base, scale, true));
  }
}

}  // namespace quench::widgets
