#pragma once
// The architecture of an opened model (model/config.h) as a two-column table: file format, width,
// layers, heads, KV heads, head size, SwiGLU size, vocabulary, context, RoPE θ and pairing, norm ε,
// shared classifier, parameter count, tensors.
#include <QWidget>

#include "core/eval/evaluate.h"  // parameterCount
#include "core/model/model_loader.h"

class QTableWidget;

namespace quench::widgets {

class ModelInfoView : public QWidget {
  Q_OBJECT
 public:
  explicit ModelInfoView(QWidget* parent = nullptr);

  /// Show `files`' configuration and catalog figures.
  void setModel(const model::ModelFiles& files);
  void clear();

  QTableWidget* table() const { return m_table; }
  /// The value shown for property `name` ("layers", "parameters", ...); empty if absent.
  QString valueText(const QString& name) const;

 private:
  void addRow(const QString& name, const QString& value, const QString& toolTip = QString());
  QTableWidget* m_table;
};

}  // namespace quench::widgets
