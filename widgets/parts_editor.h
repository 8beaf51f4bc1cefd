#pragma once
// The parts box of the recipe editor: the filter, the parts table (PartsTableModel +
// PartsFilterProxy, no per-row widgets) and, for methods whose parts are affine grids that can be
// typed (PartLayout::affineGrid), the s/b/M sliders of the selected part and the reset buttons.
// It shows the parts of the current result and turns typed cells and slider moves into a new set
// of overrides; the recipe editor makes them one undoable step.
#include <QGroupBox>
#include <QString>
#include <map>
#include <vector>

#include "core/quant/method.h"

class QLabel;
class QLineEdit;
class QPushButton;
class QSlider;
class QTableView;
class QWidget;

namespace quench::widgets {

class PartsTableModel;
class PartsFilterProxy;

class PartsEditor : public QGroupBox {
  Q_OBJECT
 public:
  /// Merge ids of slider runs (QUndoCommand::id of the editor's steps).
  enum MergeId { kMergeScale = 2, kMergeZero, kMergeClip };

  explicit PartsEditor(QWidget* parent = nullptr);

  /// The layout of the current method's parts and its overrides (null: none): columns, grid,
  /// whether cells, sliders and resets edit anything.
  void setMethod(const PartLayout& layout, const PartOverrides* overrides);
  /// The parts of the current result and the calibrator's proposal (see RecipeEditor::setParts).
  void setParts(const std::vector<PartReport>& used, const std::vector<PartParams>& proposed);

  int selectedPart() const { return m_selectedPart; }
  /// Selects part `part` (−1 clears); emits partSelected when the selection changes.
  void selectPart(int part);
  /// Applies a filter text; returns the error message (also shown under the filter box).
  QString setFilter(const QString& text);

  /// The note under the table ("overrides") or the filter ("filter").
  void setNote(const QString& which, const QString& message);
  QString note(const QString& which) const;
  void clearNotes();

  PartsTableModel* model() const { return m_model; }
  PartsFilterProxy* proxy() const { return m_proxy; }
  QTableView* view() const { return m_table; }
  QSlider* scaleSlider() const { return m_scaleSlider; }
  QSlider* zeroSlider() const { return m_zeroSlider; }
  QSlider* clipSlider() const { return m_clipSlider; }

  void resetSelectedPart();
  void resetAllOverrides();

 signals:
  /// The user changed the overrides to `next` (`merge`: a MergeId for slider steps, −1 else).
  void overridesEdited(const quench::PartOverrides& next, const QString& text, int merge, int part);
  void partSelected(int part);
  /// A slider was released or the part changed: the end of a run of merged steps.
  void runEnded();

 private:
  void updateCount();
  void syncSliders();
  void onSelectionChanged();
  void onOverrideEdited(int part, const PartOverride& o);
  void slid(int column, const QString& text, const QString& what, int merge);
  QWidget* withNote(QWidget* w, const QString& which);

  PartLayout m_layout;
  PartOverrides m_overrides;
  bool m_editable = false;
  int m_selectedPart = -1;
  bool m_updating = false;
  double m_scaleSliderCentre = 1.0;  ///< the s at the middle of the logarithmic slider

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
  std::map<QString, QLabel*> m_notes;  // "overrides", "filter"
};

}  // namespace quench::widgets
