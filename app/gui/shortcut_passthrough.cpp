#include "app/gui/shortcut_passthrough.h"

#include <QKeyEvent>
#include <QWidget>

namespace quench::app {

ShortcutPassThrough::ShortcutPassThrough(QList<QKeySequence> keys, QObject* parent)
    : QObject(parent), m_keys(std::move(keys)) {}

bool ShortcutPassThrough::eventFilter(QObject* watched, QEvent* event) {
  if (event->type() != QEvent::ShortcutOverride || !watched->isWidgetType()) return false;
  const auto* key = static_cast<QKeyEvent*>(event);
  const QKeySequence pressed(key->keyCombination());
  if (!m_keys.contains(pressed)) return false;
  // Declined: the focus widget does not take the key as text editing; the shortcut map does.
  event->ignore();
  return true;
}

}  // namespace quench::app
