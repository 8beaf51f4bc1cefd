#include "app/gui/session.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

namespace quench::app {

QByteArray sessionToJson(const Session& s) {
  QJsonObject root;
  root[QStringLiteral("quench_session")] = kSessionVersion;
  QJsonArray files;
  for (const Session::File& f : s.files) {
    QJsonObject o;
    if (f.demo)
      o[QStringLiteral("demo")] = true;
    else
      o[QStringLiteral("path")] = f.path;
    files.append(o);
  }
  root[QStringLiteral("files")] = files;
  QJsonObject selected;
  selected[QStringLiteral("file")] = s.selectedFile;
  selected[QStringLiteral("tensor")] = s.selectedTensor;
  root[QStringLiteral("selected")] = selected;
  // The recipe exactly as the CLI reads it (one schema for both).
  root[QStringLiteral("recipe")] = QJsonDocument::fromJson(QByteArray::fromStdString(recipeToJson(s.recipe))).object();
  root[QStringLiteral("pins")] = s.pins;
  QJsonObject view;
  view[QStringLiteral("tab")] = s.tab;
  view[QStringLiteral("log")] = s.logScale;
  view[QStringLiteral("histogram_mode")] = s.histogramMode;
  view[QStringLiteral("part")] = s.part;
  root[QStringLiteral("view")] = view;
  QJsonObject pages;
  pages[QStringLiteral("divergence")] = s.divergencePage;
  pages[QStringLiteral("classroom")] = s.classroomPage;
  root[QStringLiteral("pages")] = pages;
  return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

QString sessionFromJson(const QByteArray& json, Session* out) {
  QJsonParseError perr;
  const QJsonDocument doc = QJsonDocument::fromJson(json, &perr);
  if (doc.isNull()) return QStringLiteral("not JSON: %1 at offset %2").arg(perr.errorString()).arg(perr.offset);
  if (!doc.isObject()) return QStringLiteral("session: the top level must be an object");
  const QJsonObject root = doc.object();
  const QJsonValue version = root.value(QStringLiteral("quench_session"));
  if (!version.isDouble()) return QStringLiteral("session: not a Quench session (no \"quench_session\" version)");
  if (version.toInt() != kSessionVersion)
    return QStringLiteral("session: version %1 is not supported (this Quench reads version %2)")
        .arg(version.toInt())
        .arg(kSessionVersion);
  Session s;
  const QJsonValue files = root.value(QStringLiteral("files"));
  if (!files.isUndefined() && !files.isArray()) return QStringLiteral("session: \"files\" must be an array");
  for (qsizetype i = 0; i < files.toArray().size(); ++i) {
    const QJsonValue f = files.toArray().at(i);
    if (!f.isObject()) return QStringLiteral("session: files[%1] must be an object").arg(i);
    Session::File file;
    file.demo = f.toObject().value(QStringLiteral("demo")).toBool(false);
    file.path = f.toObject().value(QStringLiteral("path")).toString();
    if (!file.demo && file.path.isEmpty()) return QStringLiteral("session: files[%1] has neither a path nor \"demo\"").arg(i);
    s.files.append(file);
  }
  const QJsonObject selected = root.value(QStringLiteral("selected")).toObject();
  s.selectedFile = selected.value(QStringLiteral("file")).toInt(-1);
  s.selectedTensor = selected.value(QStringLiteral("tensor")).toString();
  if (s.selectedFile >= s.files.size()) return QStringLiteral("session: selected.file %1 is not an open file").arg(s.selectedFile);
  const QJsonValue recipe = root.value(QStringLiteral("recipe"));
  if (recipe.isObject()) {
    auto r = recipeFromJson(QJsonDocument(recipe.toObject()).toJson(QJsonDocument::Compact).toStdString());
    if (!r) return QStringLiteral("session: %1").arg(QString::fromStdString(r.error().message));
    s.recipe = std::move(*r);
  } else if (!recipe.isUndefined()) {
    return QStringLiteral("session: \"recipe\" must be an object");
  }
  const QJsonValue pins = root.value(QStringLiteral("pins"));
  if (!pins.isUndefined() && !pins.isArray()) return QStringLiteral("session: \"pins\" must be an array");
  s.pins = pins.toArray();
  const QJsonObject view = root.value(QStringLiteral("view")).toObject();
  s.tab = view.value(QStringLiteral("tab")).toString(s.tab);
  s.logScale = view.value(QStringLiteral("log")).toBool(false);
  s.histogramMode = view.value(QStringLiteral("histogram_mode")).toString(s.histogramMode);
  if (s.histogramMode != QLatin1String("overlay") && s.histogramMode != QLatin1String("error"))
    return QStringLiteral("session: view.histogram_mode must be \"overlay\" or \"error\"");
  s.part = view.value(QStringLiteral("part")).toInt(-1);
  const QJsonObject pages = root.value(QStringLiteral("pages")).toObject();
  s.divergencePage = pages.value(QStringLiteral("divergence")).toObject();
  s.classroomPage = pages.value(QStringLiteral("classroom")).toObject();
  *out = std::move(s);
  return {};
}

QString saveSession(const QString& fileName, const Session& session) {
  QSaveFile file(fileName);
  if (!file.open(QIODevice::WriteOnly))
    return QStringLiteral("%1: cannot write: %2").arg(fileName, file.errorString());
  file.write(sessionToJson(session));
  if (!file.commit()) return QStringLiteral("%1: cannot write: %2").arg(fileName, file.errorString());
  return {};
}

QString loadSession(const QString& fileName, Session* out) {
  QFile file(fileName);
  if (!file.open(QIODevice::ReadOnly)) return QStringLiteral("%1: cannot read: %2").arg(fileName, file.errorString());
  if (file.size() > (64 << 20)) return QStringLiteral("%1: too large for a session file").arg(fileName);
  const QString error = sessionFromJson(file.readAll(), out);
  return error.isEmpty() ? QString() : QStringLiteral("%1: %2").arg(fileName, error);
}

}  // namespace quench::app
