#pragma once
// A workbench session (*.quench): what is open, what is selected, the recipe, the pinned
// comparisons and the view settings, as one JSON document, so that a saved session reopens in the
// same state. Layout and recent files are per user and live in QSettings instead.
//
//   {"quench_session": 1,
//    "files": [{"path": "/abs/model.safetensors"}, {"demo": true}],
//    "selected": {"file": 0, "tensor": "blk.0.attn_q.weight"},
//    "recipe": {...the recipe file the CLI reads (recipeToJson)...},
//    "pins": [...FiguresPanel::pinsToJson...],
//    "view": {"tab": "histogram", "log": false, "histogram_mode": "overlay", "part": -1},
//    "pages": {"divergence": {...}, "classroom": {...}}}
#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <QVector>

#include "core/recipe/recipe.h"

namespace quench::app {

inline constexpr int kSessionVersion = 1;

struct Session {
  struct File {
    QString path;       ///< absolute path (empty for the demo)
    bool demo = false;  ///< the embedded demo tensors
    friend bool operator==(const File&, const File&) = default;
  };
  QVector<File> files;
  int selectedFile = -1;  ///< index into files, -1: nothing selected
  QString selectedTensor;
  Recipe recipe;
  QJsonArray pins;
  QString tab = QStringLiteral("histogram");  ///< the central tab's key (lower-case tab title)
  bool logScale = false;
  QString histogramMode = QStringLiteral("overlay");  ///< "overlay" or "error"
  int part = -1;                                       ///< part the histogram is restricted to
  QJsonObject divergencePage;  ///< the Divergence tab's own settings (ModelPage::saveState)
  QJsonObject classroomPage;   ///< the Classroom tab's (ClassroomPage::saveState)
};

/// The session as indented JSON text.
QByteArray sessionToJson(const Session& session);
/// Parses `json`; on failure returns a message (naming the key) and leaves `out` unchanged.
QString sessionFromJson(const QByteArray& json, Session* out);
/// Writes atomically (QSaveFile); "" on success, else a message naming the file.
QString saveSession(const QString& fileName, const Session& session);
/// Reads and parses; "" on success, else a message naming the file.
QString loadSession(const QString& fileName, Session* out);

}  // namespace quench::app
