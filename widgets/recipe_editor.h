#pragma once
// The Recipe dock of GUI.md: shows and edits one MethodParams (core/recipe/recipe.h) and the
// per-part parameters of the current result. It computes nothing: the window quantizes in the
// background and hands the parts back with setParts().
//
// Fields (only those of the chosen method are shown; each has a tooltip with its MATH.md formula):
//   int:      bits (2..8, 16), symmetric/asymmetric, partition (tensor, row, column, group:G along
//             rows or columns), calibration (absmax, minmax, percentile:P, mse, entropy, ...),
//             rounding, scale format, and the parts table (s, b, M or L/U per part, typed or by
//             sliders → MethodParams::overrides)
//   float:    format (fp16, bf16, e4m3, e5m2, e3m2, e2m3, e2m1, custom ExMy), rounding, MX block
//   nf4, fp4: block size B, double quantization (with the resulting bits per parameter)
//   prune:    sparsity (fraction or N:M), partition (tensor or row, fraction only)
//   llm-int8: threshold τ
// Invalid input (bits 12, percentile 0, E9M9, a scale of 0 typed for a part, ...) never reaches
// params(): the field shows a red note and nothing is emitted.
//
// Every user edit is one QUndoCommand on undoStack(); consecutive slider moves on the same field
// (and part) merge into one command until the slider is released. Undo and redo restore the exact
// MethodParams and emit paramsChanged.
#include <QString>
#include <QWidget>
#include <cstddef>
#include <map>
#include <vector>

#include "core/quant/types.h"
#include "core/recipe/recipe.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QGroupBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSlider;
class QSpinBox;
class QTableView;
class QUndoStack;

namespace quench::widgets {

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
  /// calibrator's proposal per part before overrides (integerPartParams with the overrides
  /// removed; may be empty: overridden parts then show "–" as proposal). Keeps the selected part.
  void setParts(const std::vector<PartReport>& used, const std::vector<PartParams>& proposed);
  /// The tensor the recipe is applied to (its shape gives the part count of each partition,
  /// shown beside the partition field). An empty shape clears it.
  void setTensorInfo(const QString& name, std::vector<std::size_t> shape);
  /// A red note under `field` (a recipe key: "method", "bits", "symmetric", "partition", "calib",
  /// "round", "scale_format", "format", "block", "double_quant", "sparsity", "threshold",
  /// "overrides"; anything else goes to a note at the top). An empty message clears the note.
  void showError(const QString& field, const QString& message);
  /// The note under `field` ("" when none); for tests and the status bar.
  QString errorText(const QString& field) const;
  /// Clears every note.
  void clearErrors();

  QUndoStack* undoStack() const { return m_undo; }

  /// The selected part (−1 = none, i.e. the whole tensor). selectPart emits partSelected.
  int selectedPart() const { return m_selectedPart; }
  void selectPart(int part);
  /// Applies the parts filter text (see PartsFilterProxy); returns the error message, if any
  /// (also shown under the filter box).
  QString setPartsFilter(const QString& text);

  /// Whether the editor widget of `field` (a recipe key as in showError, or "percentile", "group",
  /// "group_axis", "format_custom", "parts") is shown for the current method.
  bool isFieldVisible(const QString& field) const;

  // Parts of the editor, for the window's layout and for tests.
  PartsTableModel* partsModel() const { return m_model; }
  PartsFilterProxy* partsProxy() const { return m_proxy; }
  QTableView* partsView() const { return m_table; }
  QSlider* scaleSlider() const { return m_scaleSlider; }
  QSlider* zeroSlider() const { return m_zeroSlider; }
  QSlider* clipSlider() const { return m_clipSlider; }
  QSlider* bitsSlider() const { return m_bitsSlider; }
  /// The editor widget of `field` (as in isFieldVisible), nullptr if unknown.
  QWidget* fieldWidget(const QString& field) const;

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
  /// Field ids of slider edits that merge (QUndoCommand::id).
  enum MergeField { kNoMerge = -1, kMergeBits = 1, kMergeScale, kMergeZero, kMergeClip };

  void buildUi();
  QWidget* withNote(QWidget* editor, const QString& field);
  void updateVisibility();
  void showParamsInFields();
  void updateHints();
  void syncSliders();
  /// Pushes one undoable change from m_params to `next` (no-op when equal).
  void commit(const MethodParams& next, const QString& text, MergeField merge = kNoMerge, int part = -1);
  /// Called by the undo command: shows `p` and emits paramsChanged.
  void applyFromCommand(const MethodParams& p);

  // Slots of the fields: read the widget, validate, commit or show the note.
  void onMethodChanged();
  void onBitsEdited(int bits, bool fromSlider);
  void onPartitionEdited();
  void onCalibrationEdited();
  void onFloatFormatEdited();
  void onSparsityEdited();
  void onOverrideEdited(int part, const PartOverride& o);
  void onScaleSlider(int value);
  void onZeroSlider(int value);
  void onClipSlider(int value);
  void onSelectionChanged();

  MethodParams m_params;
  /// The last parameters of each method this editor showed, restored when switching back.
  std::map<Method, MethodParams> m_lastByMethod;
  std::vector<std::size_t> m_shape;
  QString m_tensorName;
  int m_selectedPart = -1;
  int m_sliderSerial = 0;  ///< bumped on slider release / part change: ends a merge run
  bool m_updating = false;  ///< true while fields are set from m_params (no edits emitted)

  QUndoStack* m_undo;
  QFormLayout* m_form = nullptr;
  std::map<QString, QWidget*> m_fields;       // field key → editor widget (for visibility, tests)
  std::map<QString, QWidget*> m_rows;         // field key → the row widget (editor + note)
  std::map<QString, std::vector<QLabel*>> m_notes;
  QLabel* m_generalNote = nullptr;
  QLabel* m_tensorLabel = nullptr;

  QComboBox* m_method = nullptr;
  QSpinBox* m_bits = nullptr;
  QSlider* m_bitsSlider = nullptr;
  QComboBox* m_symmetric = nullptr;
  QComboBox* m_partition = nullptr;
  QSpinBox* m_group = nullptr;
  QComboBox* m_groupAxis = nullptr;
  QLabel* m_partCountLabel = nullptr;
  QComboBox* m_calibration = nullptr;
  QLineEdit* m_percentile = nullptr;
  QComboBox* m_rounding = nullptr;
  QComboBox* m_scaleFormat = nullptr;
  QComboBox* m_arithmetic = nullptr;
  QComboBox* m_floatFormat = nullptr;
  QSpinBox* m_customE = nullptr;
  QSpinBox* m_customM = nullptr;
  QSpinBox* m_mxBlock = nullptr;
  QSpinBox* m_codebookBlock = nullptr;
  QCheckBox* m_doubleQuant = nullptr;
  QLabel* m_codebookBits = nullptr;
  QComboBox* m_sparsityKind = nullptr;
  QLineEdit* m_sparsityFraction = nullptr;
  QSpinBox* m_sparsityN = nullptr;
  QSpinBox* m_sparsityM = nullptr;
  QComboBox* m_prunePartition = nullptr;
  QDoubleSpinBox* m_threshold = nullptr;

  QGroupBox* m_partsBox = nullptr;
  QLineEdit* m_filter = nullptr;
  QLabel* m_filterCount = nullptr;
  PartsTableModel* m_model = nullptr;
  PartsFilterProxy* m_proxy = nullptr;
  QTableView* m_table = nullptr;
  QWidget* m_sliderBox = nullptr;
  QLabel* m_sliderTitle = nullptr;
  QSlider* m_scaleSlider = nullptr;
  QSlider* m_zeroSlider = nullptr;
  QSlider* m_clipSlider = nullptr;
  QLabel* m_scaleValue = nullptr;
  QLabel* m_zeroValue = nullptr;
  QLabel* m_clipValue = nullptr;
  QLabel* m_clipName = nullptr;
  QPushButton* m_resetPart = nullptr;
  QPushButton* m_resetAll = nullptr;
  double m_scaleSliderCentre = 1.0;  ///< the s at the middle of the logarithmic slider
};

}  // namespace quench::widgets
