#pragma once
// The recipe editor's panel of one method, generated from its MethodDescriptor: one form row per
// parameter (label with the MATH.md formula as tooltip, the ParamField, a red note under it), in
// the method's parameter order, and a last row with the true bits per parameter. Rows of
// parameters that do not matter for the current values are hidden (prune's scope under N:M).
// Per-part parameters have no row: the parts table edits them.
//
// The rows live in the editor's one QFormLayout (after the method box), so every panel's labels
// line up with the method box's whatever the font: a panel is the group of rows it shows or
// hides, not a widget of its own.
#include <QObject>
#include <QString>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "core/quant/method.h"

class QFormLayout;
class QLabel;
class QSlider;
class QWidget;

namespace quench::widgets {

class ParamField;

class MethodPanel : public QObject {
  Q_OBJECT
 public:
  /// Appends the method's rows to `form` (hidden until setShown(true)).
  MethodPanel(const MethodDescriptor& method, QFormLayout* form, QObject* parent = nullptr);

  const MethodDescriptor& method() const { return m_method; }
  /// Shows or hides every row of the panel (a shown panel still hides the rows that do not matter).
  void setShown(bool shown);
  /// Shows `p` (of this method) for a tensor of `shape` (may be empty): values, which rows
  /// matter, the hints (part counts) and the bits per parameter. Emits nothing.
  void setParams(const MethodParams& p, std::span<const std::int64_t> shape);

  /// The field of parameter `key`, or null.
  ParamField* field(const QString& key) const;
  /// The editing widget of an editor id: a parameter's id ("bits", "prune_partition") or a Spec
  /// arg's ("group", "percentile"); null when this panel has none.
  QWidget* widgetById(const QString& id) const;
  /// The editing widget of parameter `key` ("block"), or null.
  QWidget* widgetByKey(const QString& key) const;

  /// The red note under parameter `key`'s field; false when the panel has no row for `key`.
  bool setNote(const QString& key, const QString& message);
  /// The note under `key` (empty when none); nullopt when the panel has no row for `key`.
  std::optional<QString> note(const QString& key) const;
  void clearNotes();

 signals:
  /// The user set parameter `key` to `value` (`fromSlider`: a slider step).
  void edited(const QString& key, const quench::ParamValue& value, bool fromSlider);
  /// The user typed something that is not a value of `key`'s type.
  void rejected(const QString& key, const QString& message);
  /// A slider was released: the end of a run of slider steps.
  void sliderReleased();

 private:
  void updateRows();

  const MethodDescriptor& m_method;
  QFormLayout* m_form = nullptr;
  std::map<QString, ParamField*> m_fields;  // key → field
  std::map<QString, QWidget*> m_rows;       // key → the row widget (field + note)
  std::map<QString, QLabel*> m_notes;       // key → note
  std::map<QString, bool> m_relevant;       // key → the row matters for the current values
  QLabel* m_bits = nullptr;                 // the storage row's field
  bool m_hasBits = false;
  bool m_shown = false;
};

}  // namespace quench::widgets
