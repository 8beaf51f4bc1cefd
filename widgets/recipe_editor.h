#pragma once
// The Recipe dock of GUI.md: shows and edits one MethodParams (core/quant/method.h) and the
// per-part parameters of the current result. It computes nothing: the window quantizes in the
// background and hands the parts back with setParts().
//
// Built from the method registry: a method box, and for every registered method one panel
// (MethodPanel) generated from its parameter list, each field with its MATH.md formula as
// tooltip; only the chosen method's panel is shown. The parts box (PartsEditor) lists the parts of
// the result; for methods whose parts are affine grids (int) s, b, M or L/U can be typed per part
// or dragged with sliders (→ the method's overrides). A method registered later gets its panel
// without a line here.
//
// Every value the user enters goes through the core: the parameter's own check
// (MethodParams::set), what the change invalidates (reconcile), and the method's cross-parameter
// rules (validate). What the core refuses (bits 12, percentile 0, E9M9, N:M 5:4, a scale of 0
// typed for a part, ggml on the asymmetric grid) never reaches params(): the field named by the
// error's path shows a red note and nothing is emitted.
//
// Every user edit is one QUndoCommand on undoStack(); consecutive slider moves on the same field
// (and part) merge into one command until the slider is released. Undo and redo restore the exact
// MethodParams and emit paramsChanged.
#include <QString>
#include <QWidget>
#include <cstddef>
#include <map>
#include <vector>

#include "core/quant/method.h"
#include "core/quant/types.h"

class QComboBox;
class QLabel;
class QSlider;
class QTableView;
class QUndoStack;

namespace quench::widgets {

class MethodPanel;
class PartsEditor;
class PartsTableModel;
class PartsFilterProxy;

class RecipeEditor : public QWidget {
  Q_OBJECT
 public:
  explicit RecipeEditor(QWidget* parent = nullptr);
  ~RecipeEditor() override;

  /// Shows `p` in every field and the parts table. Emits nothing and leaves the undo stack as it
  /// is (clear undoStack() when a new recipe replaces the history).
  void setParams(const MethodParams& p);
  MethodParams params() const { return m_params; }

  /// The parts of the current result: `used` = what the quantizer used (PartReport: size, the
  /// s, b, L, U actually used, saturated count, per-part ErrorFigures) and `proposed` = the
  /// calibrator's proposal per part before overrides (MethodParams::proposal; may be empty:
  /// overridden parts then show "–" as proposal). Keeps the selected part.
  void setParts(const std::vector<PartReport>& used, const std::vector<PartParams>& proposed);
  /// The tensor the recipe is applied to (its shape gives the part count of each partition and the
  /// bits per parameter). An empty shape clears it.
  void setTensorInfo(const QString& name, std::vector<std::size_t> shape);
  /// A red note under the field of recipe key `field` of the shown method (the first key of an
  /// error's path: "bits", "partition", "overrides"; "filter" is the parts filter); anything else
  /// goes to a note at the top. An empty message clears the note.
  void showError(const QString& field, const QString& message);
  /// The note under `field` ("" when none); for tests and the status bar.
  QString errorText(const QString& field) const;
  /// Clears every note.
  void clearErrors();

  QUndoStack* undoStack() const { return m_undo; }

  /// The selected part (−1 = none, i.e. the whole tensor). selectPart emits partSelected.
  int selectedPart() const;
  void selectPart(int part);
  /// Applies the parts filter text (see PartsFilterProxy); returns the error message, if any
  /// (also shown under the filter box).
  QString setPartsFilter(const QString& text);

  /// The editing widget of an editor id: "method", "parts", a parameter's id (its key, unless
  /// the method names it apart: prune's partition is "prune_partition", float's block "mx_block",
  /// the codebooks' "codebook_block") or a Spec field's ("group", "group_axis", "percentile",
  /// "format_custom"); else a key of the shown method ("block"). Null if unknown.
  QWidget* fieldWidget(const QString& id) const;
  /// Whether fieldWidget(id) is shown (its method is the current one and its row matters).
  bool isFieldVisible(const QString& id) const;

  // Parts of the editor, for the window's layout and for tests.
  PartsTableModel* partsModel() const;
  PartsFilterProxy* partsProxy() const;
  QTableView* partsView() const;
  QSlider* scaleSlider() const;
  QSlider* zeroSlider() const;
  QSlider* clipSlider() const;
  /// The slider of the shown method's parameter `key` (an Int with steps: "bits"), or null.
  QSlider* slider(const QString& key) const;
  QSlider* bitsSlider() const { return slider(QStringLiteral("bits")); }

  /// Resets the selected part / every part to the calibrator's proposal (one undo step each).
  void resetSelectedPart();
  void resetAllOverrides();

 signals:
  /// After every user edit, undo and redo (never after setParams).
  void paramsChanged(const quench::MethodParams& p);
  /// The user selected a part of the table (−1 = whole tensor, selection cleared).
  void partSelected(int part);

 private:
  friend class RecipeEditCommand;

  void showParamsInFields();
  void updateHints();
  MethodPanel* currentPanel() const;
  /// Pushes one undoable change from m_params to `next` (no-op when equal).
  void commit(const MethodParams& next, const QString& text, int merge = -1, int part = -1);
  /// Called by the undo command: shows `p` and emits paramsChanged.
  void applyFromCommand(const MethodParams& p);

  void onMethodChanged();
  void onValueEdited(const QString& key, const ParamValue& value, bool fromSlider);
  void onOverridesEdited(const PartOverrides& next, const QString& text, int merge, int part);
  /// The merge id of slider runs on parameter `key`.
  int mergeIdOf(const QString& key);

  MethodParams m_params;
  /// The last parameters of each method this editor showed, restored when switching back.
  std::map<const MethodDescriptor*, MethodParams> m_lastByMethod;
  std::vector<std::size_t> m_shape;
  QString m_tensorName;
  int m_sliderSerial = 0;  ///< bumped on slider release / part change: ends a merge run
  bool m_updating = false;  ///< true while fields are set from m_params (no edits emitted)
  std::map<QString, int> m_mergeIds;

  QUndoStack* m_undo;
  QComboBox* m_method = nullptr;
  QLabel* m_methodNote = nullptr;
  QLabel* m_generalNote = nullptr;
  QLabel* m_tensorLabel = nullptr;
  std::vector<MethodPanel*> m_panels;  ///< one per registered method, in registry order
  PartsEditor* m_parts = nullptr;
};

}  // namespace quench::widgets
