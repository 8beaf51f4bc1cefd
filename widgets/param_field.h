#pragma once
// The editor field of one method parameter, built from its ParamDescriptor (core/quant/param.h)
// alone: a check box or a two-choice combo (Bool), a spin box that steps through the allowed
// values with an optional slider (Int), a spin box or a line edit (Number), a combo (Choice), or a
// combo of alternatives with the fields of the chosen one (Spec: partition's G and axis, calib's
// P, a custom float format's E and M, N:M). It knows no method: a new method's parameters get
// their fields without code here.
//
// The field shows a value (setValue, no signals) and reports what the user typed as a value
// (edited) or, when the text cannot even be read as one, a message (rejected); whether the value
// is allowed is the core's to say (ParamDescriptor::set), through the editor.
#include <QString>
#include <QWidget>
#include <map>

#include "core/quant/param.h"

class QComboBox;
class QHBoxLayout;
class QLabel;
class QSlider;

class QAbstractSpinBox;

namespace quench::widgets {

class ParamField : public QWidget {
  Q_OBJECT
 public:
  explicit ParamField(const ParamDescriptor& param, QWidget* parent = nullptr);

  const ParamDescriptor& param() const { return m_param; }
  /// Shows `v` (emits nothing).
  void setValue(const ParamValue& v);
  /// The widget the user edits the value with (spin box, combo, check box, line edit).
  QWidget* mainWidget() const { return m_main; }
  /// The widget of a Spec's arg by its id ("group", "percentile"), or null.
  QWidget* argWidget(const QString& id) const;
  /// The slider of an Int with steps, or null.
  QSlider* slider() const { return m_slider; }
  /// A grey note beside the widgets ("128 parts of 64"); empty hides it.
  void setHint(const QString& text);

 signals:
  /// The user set a value (`fromSlider`: a slider step; consecutive steps form one undo step).
  void edited(const quench::ParamValue& value, bool fromSlider);
  /// The text the user typed is not a value of the field's type ("percentile P must be a number
  /// in (0, 100], got 'x'").
  void rejected(const QString& message);
  /// A slider was released: the end of a run of slider steps.
  void sliderReleased();

 private:
  void buildSpec(QHBoxLayout* row);
  void specEdited();
  void updateSpecArgs();

  ParamDescriptor m_param;
  QWidget* m_main = nullptr;
  QSlider* m_slider = nullptr;
  QLabel* m_hint = nullptr;
  std::map<QString, QWidget*> m_args;                   // Spec: arg id → its widget
  std::map<QString, std::vector<QWidget*>> m_argLabels;  // Spec: arg id → labels shown with it
  bool m_updating = false;
  // The text last typed into the spin box: a number outside its range is reverted by Qt when
  // editing finishes; it is passed on instead, so that the core's refusal shows as a red note.
  QString m_typed;
  void watchTyping(QAbstractSpinBox* spin, bool integer);
};

}  // namespace quench::widgets
