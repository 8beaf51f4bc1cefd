// Responsiveness of the workbench (issue 5): the real MainWindow on a 4096×4096 f32 tensor, the
// bits field of the Recipe dock changed as a user types, and the time from that change to
//   (a) plotsUpdated: every visible view was handed the new result and its replot is queued,
//   (b) the histogram's replot done (QCustomPlot::afterReplot).
// Prints the median, min and max over N changes and the machine load.
//
//   bench_gui_responsiveness [--changes N] [--size N] [--tab histogram|saturation|outliers|nf4|error]
//
// Runs offscreen unless QT_QPA_PLATFORM is set. Not a Google Benchmark: the measurement is an
// event-loop round trip through the GUI, which only a running QApplication can give.
#include <qcustomplot.h>

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QSettings>
#include <QSpinBox>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>
#include <algorithm>
#include <cstdio>
#include <random>
#include <vector>

#include "app/gui/main_window.h"
#include "core/io/writer.h"
#include "widgets/histogram_view.h"
#include "widgets/recipe_editor.h"

namespace {

// Spins the event loop until `signal` of `sender` fires or `timeoutMs` passes; true if it fired.
template <class Sender, class Signal>
bool waitFor(Sender* sender, Signal signal, int timeoutMs = 60000) {
  QEventLoop loop;
  bool fired = false;
  auto c = QObject::connect(sender, signal, &loop, [&] {
    fired = true;
    loop.quit();
  });
  QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
  loop.exec();
  QObject::disconnect(c);
  return fired;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

QString loadAverage() {
  QFile f(QStringLiteral("/proc/loadavg"));
  if (!f.open(QIODevice::ReadOnly)) return QStringLiteral("unknown");
  return QString::fromLatin1(f.readAll()).section(QLatin1Char(' '), 0, 2);
}

}  // namespace

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("QuenchBench"));
  QApplication::setApplicationName(QStringLiteral("QuenchBench"));
  int changes = 30;
  std::int64_t size = 4096;
  QString tab = QStringLiteral("histogram");
  const QStringList args = QApplication::arguments();
  for (int i = 1; i + 1 < args.size(); ++i) {
    if (args[i] == QLatin1String("--changes")) changes = std::max(1, args[i + 1].toInt());
    if (args[i] == QLatin1String("--size")) size = std::max<std::int64_t>(16, args[i + 1].toLongLong());
    if (args[i] == QLatin1String("--tab")) tab = args[i + 1].toLower();
  }

  // A Gaussian weight matrix with a few ×20 outlier columns (like the demo), written as safetensors.
  QTemporaryDir dir;
  QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, dir.filePath(QStringLiteral("settings")));
  const QString path = dir.filePath(QStringLiteral("bench.safetensors"));
  {
    std::vector<float> w(std::size_t(size * size));
    std::mt19937_64 rng(42);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    for (float& v : w) v = normal(rng);
    for (std::int64_t r = 0; r < size; ++r)
      for (std::int64_t c : {std::int64_t(7), size / 3, size - 5}) w[std::size_t(r * size + c)] *= 20.0f;
    const quench::Status s = quench::writeSafetensors(
        path.toStdString(), {quench::OutTensor::fromFloats("layer.weight", {size, size}, w)});
    if (!s) {
      std::fprintf(stderr, "cannot write %s: %s\n", qPrintable(path), s.error().message.c_str());
      return 1;
    }
  }

  quench::app::MainWindow window;
  window.resize(1400, 860);
  window.show();
  for (int i = 0; i < window.tabs()->count(); ++i)
    if (window.tabs()->tabText(i).toLower() == tab) window.tabs()->setCurrentIndex(i);
  window.openFile(path, QStringLiteral("layer.weight"));
  if (!waitFor(&window, &quench::app::MainWindow::plotsUpdated)) {
    std::fprintf(stderr, "the tensor was not shown within 60 s\n");
    return 1;
  }
  auto* bits = qobject_cast<QSpinBox*>(window.recipeEditor()->fieldWidget(QStringLiteral("bits")));
  if (!bits) {
    std::fprintf(stderr, "the recipe editor has no bits field\n");
    return 1;
  }
  QCustomPlot* plot = window.histogramView()->plot();
  const bool histogramVisible = window.tabs()->currentIndex() == quench::app::MainWindow::kHistogramTab;

  std::vector<double> toUpdate, toReplot, quantizeMs;
  for (int i = 0; i < changes + 1; ++i) {
    // Let the previous replot and any pending events settle: each change starts from an idle GUI.
    QApplication::processEvents();
    QThread::msleep(20);
    QApplication::processEvents();
    bool replotted = false;
    auto c = QObject::connect(plot, &QCustomPlot::afterReplot, plot, [&] { replotted = true; });
    QElapsedTimer t;
    t.start();
    bits->setValue(bits->value() == 8 ? 7 : 8);  // as if typed: the editor commits an undoable change
    if (!waitFor(&window, &quench::app::MainWindow::plotsUpdated)) {
      std::fprintf(stderr, "no update within 60 s\n");
      return 1;
    }
    const double updated = double(t.nsecsElapsed()) * 1e-6;
    if (histogramVisible && !replotted) waitFor(plot, &QCustomPlot::afterReplot, 5000);
    const double drawn = double(t.nsecsElapsed()) * 1e-6;
    QObject::disconnect(c);
    if (i == 0) continue;  // the first change warms the quantizer's buffers
    toUpdate.push_back(updated);
    toReplot.push_back(drawn);
    quantizeMs.push_back(window.lastOutcome().quantizeMs);
  }
  const auto [minU, maxU] = std::minmax_element(toUpdate.begin(), toUpdate.end());
  const auto [minR, maxR] = std::minmax_element(toReplot.begin(), toReplot.end());
  std::printf("tensor %lld x %lld f32, tab %s, %d bit changes (int8 <-> int7, per row, absmax)\n", (long long)size,
              (long long)size, qPrintable(tab), changes);
  std::printf("change -> plotsUpdated : median %.1f ms (min %.1f, max %.1f)\n", median(toUpdate), *minU, *maxU);
  if (histogramVisible)
    std::printf("change -> replot done  : median %.1f ms (min %.1f, max %.1f)\n", median(toReplot), *minR, *maxR);
  std::printf("of which quantization  : median %.1f ms\n", median(quantizeMs));
  std::printf("threads %d, load average %s\n", QThread::idealThreadCount(), qPrintable(loadAverage()));
  return 0;
}
