#pragma once
// Light and dark palettes for the whole application (View ▸ Theme). Plots follow: every view
// restyles itself from the palette on QEvent::PaletteChange (widgets/plot_style.h).
#include <QPalette>
#include <QString>

namespace quench::app {

/// The palette of `theme`: "light", "dark", or "system" (the style's standard palette).
QPalette themePalette(const QString& theme);
/// Sets the Fusion style (it honours palettes on every platform) and the palette of `theme` on
/// the application.
void applyTheme(const QString& theme);

}  // namespace quench::app
