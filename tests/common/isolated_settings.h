#pragma once
// Keeps the user's real QSettings (window geometry, recent files, layout) out of a GUI suite: the
// settings go under `dir`, and the application names give each suite its own file.
#include <QCoreApplication>
#include <QSettings>
#include <QString>
#include <QTemporaryDir>

namespace quench::test {

inline void isolateSettings(const QTemporaryDir& dir, const QString& applicationName) {
  QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, dir.filePath(QStringLiteral("settings")));
  QCoreApplication::setOrganizationName(QStringLiteral("QuenchTest"));
  QCoreApplication::setApplicationName(applicationName);
}

}  // namespace quench::test
