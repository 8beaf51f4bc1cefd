#include "app/gui/theme.h"

#include <QApplication>
#include <QStyle>
#include <QStyleFactory>

namespace quench::app {

QPalette themePalette(const QString& theme) {
  QStyle* fusion = QStyleFactory::create(QStringLiteral("Fusion"));
  QPalette p = fusion ? fusion->standardPalette() : QApplication::style()->standardPalette();
  delete fusion;
  if (theme != QLatin1String("dark")) return p;
  // A neutral dark grey scheme; the accent is the palette's blue (Okabe–Ito #0072B2, lightened).
  const QColor window(0x2B, 0x2B, 0x2B), base(0x1E, 0x1E, 0x1E), text(0xE8, 0xE8, 0xE8);
  const QColor disabled(0x80, 0x80, 0x80), accent(0x3A, 0x8F, 0xD0);
  p.setColor(QPalette::Window, window);
  p.setColor(QPalette::WindowText, text);
  p.setColor(QPalette::Base, base);
  p.setColor(QPalette::AlternateBase, window);
  p.setColor(QPalette::ToolTipBase, base);
  p.setColor(QPalette::ToolTipText, text);
  p.setColor(QPalette::PlaceholderText, disabled);
  p.setColor(QPalette::Text, text);
  p.setColor(QPalette::Button, window);
  p.setColor(QPalette::ButtonText, text);
  p.setColor(QPalette::BrightText, QColor(0xD5, 0x5E, 0x00));
  p.setColor(QPalette::Link, accent);
  p.setColor(QPalette::Highlight, accent);
  p.setColor(QPalette::HighlightedText, Qt::black);
  p.setColor(QPalette::Light, QColor(0x40, 0x40, 0x40));
  p.setColor(QPalette::Midlight, QColor(0x38, 0x38, 0x38));
  p.setColor(QPalette::Mid, QColor(0x30, 0x30, 0x30));
  p.setColor(QPalette::Dark, QColor(0x18, 0x18, 0x18));
  p.setColor(QPalette::Shadow, Qt::black);
  for (auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
    p.setColor(QPalette::Disabled, role, disabled);
  return p;
}

void applyTheme(const QString& theme) {
  if (QStyle* fusion = QStyleFactory::create(QStringLiteral("Fusion"))) QApplication::setStyle(fusion);
  QApplication::setPalette(themePalette(theme));
}

}  // namespace quench::app
