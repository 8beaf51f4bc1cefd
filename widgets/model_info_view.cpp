#include "widgets/text_format.h"
#include "widgets/model_info_view.h"

#include <QHeaderView>
#include <QLocale>
#include <QTableWidget>
#include <QVBoxLayout>

namespace quench::widgets {

ModelInfoView::ModelInfoView(QWidget* parent) : QWidget(parent), m_table(new QTableWidget(this)) {
  m_table->setObjectName(QStringLiteral("modelInfo"));
  m_table->setColumnCount(2);
  m_table->setHorizontalHeaderLabels({tr("property"), tr("value")});
  m_table->verticalHeader()->setVisible(false);
  m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
  m_table->horizontalHeader()->setStretchLastSection(true);
  m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_table);
}

void ModelInfoView::addRow(const QString& name, const QString& value, const QString& toolTip) {
  const int r = m_table->rowCount();
  m_table->insertRow(r);
  auto* n = new QTableWidgetItem(name);
  auto* v = new QTableWidgetItem(value);
  v->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  n->setToolTip(toolTip);
  v->setToolTip(toolTip);
  m_table->setItem(r, 0, n);
  m_table->setItem(r, 1, v);
}

void ModelInfoView::clear() { m_table->setRowCount(0); }

QString ModelInfoView::valueText(const QString& name) const {
  for (int r = 0; r < m_table->rowCount(); ++r)
    if (m_table->item(r, 0)->text() == name) return m_table->item(r, 1)->text();
  return {};
}

void ModelInfoView::setModel(const model::ModelFiles& files) {
  clear();
  const model::ModelConfig& c = files.config;
  const auto count = [](qint64 n) { return formatCount(n); };
  const QString format = files.format == "llama2c" ? tr("llama2.c checkpoint")
                         : files.format == "gguf"  ? tr("GGUF")
                         : files.format == "hf"    ? tr("Hugging Face folder (safetensors)")
                                                   : QString::fromStdString(files.format);
  addRow(tr("file"), QString::fromStdString(files.path));
  addRow(tr("format"), format);
  addRow(tr("architecture"), tr("Llama (RMSNorm, RoPE, %1 attention, SwiGLU)")
                                 .arg(c.nKvHeads < c.nHeads ? tr("grouped-query") : tr("multi-head")));
  addRow(tr("width (dim)"), QString::number(c.dim), tr("residual stream size"));
  addRow(tr("layers"), QString::number(c.nLayers));
  addRow(tr("heads"), QString::number(c.nHeads), tr("query heads"));
  addRow(tr("KV heads"), QString::number(c.nKvHeads), tr("key/value heads (GQA when fewer than heads)"));
  addRow(tr("head size"), QString::number(c.headDim()), tr("dim / heads"));
  addRow(tr("SwiGLU size"), QString::number(c.hiddenDim), tr("feed-forward inner size"));
  addRow(tr("vocabulary"), count(c.vocabSize), tr("tokens"));
  addRow(tr("context"), count(c.seqLen), tr("longest sequence the KV cache holds (tokens)"));
  addRow(tr("RoPE θ"), QString::number(double(c.ropeTheta), 'g', 7));
  addRow(tr("RoPE pairs"), c.rope == model::RopeStyle::AdjacentPairs ? tr("adjacent (2i, 2i+1)") : tr("halves (i, i + d/2)"));
  addRow(tr("norm ε"), QString::number(double(c.normEps), 'g', 3), tr("RMSNorm epsilon"));
  addRow(tr("shared classifier"), c.sharedClassifier ? tr("yes (output = token embedding)") : tr("no"));
  addRow(tr("parameters"), count(qint64(eval::parameterCount(files))), tr("values of every weight the runtime loads (a tied tensor once)"));
  addRow(tr("tensors"), QString::number(files.reader ? files.reader->tensors().size() : 0));
  if (files.tokenizer) addRow(tr("tokenizer vocabulary"), count(files.tokenizer->vocabSize()));
}

}  // namespace quench::widgets
