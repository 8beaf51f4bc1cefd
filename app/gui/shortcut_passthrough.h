#pragma once
// Window shortcuts that text fields must not swallow. A QLineEdit (and the editor inside a spin
// box) accepts Ctrl+E and other Ctrl+letter keys as Emacs-style editing keys in its
// ShortcutOverride, so the window's File ▸ Export Figure (Ctrl+E) never fired while a field had
// the focus. Installed on the application, this filter declines the override for the listed keys,
// so the shortcut map gets them.
#include <QKeySequence>
#include <QList>
#include <QObject>

namespace quench::app {

class ShortcutPassThrough : public QObject {
  Q_OBJECT
 public:
  ShortcutPassThrough(QList<QKeySequence> keys, QObject* parent = nullptr);

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  QList<QKeySequence> m_keys;
};

}  // namespace quench::app
