#pragma once
// The workbench window: a browser of open files and tensors (left dock), the histogram of the
// selected tensor (centre), its statistics (right dock), progress and Cancel in the status bar.
// File opening and tensor analysis run on worker threads; the newest selection wins.
#include <QMainWindow>
#include <QPointer>
#include <cstdint>
#include <map>
#include <memory>
#include <stop_token>

#include "core/io/reader.h"

class QAction;
class QLabel;
class QMenu;
class QProgressBar;
class QPushButton;

namespace quench::widgets {
class HistogramView;
class MetadataView;
class StatsPanel;
class TensorBrowser;
}  // namespace quench::widgets

namespace quench::app {

struct TensorAnalysis;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  /// Open `path` in the background; when it is listed, select `selectName` (or, if empty, the
  /// file's most interesting tensor). Errors are shown in a dialog.
  void openFile(const QString& path, const QString& selectName = QString());
  /// Open the embedded demo tensors (once) and select `selectName` or an interesting tensor.
  void openDemo(const QString& selectName = QString());
  /// Select tensor `name` of the file with id `fileId`; false if there is none.
  bool selectTensor(int fileId, const QString& name);
  /// Cancel the running tensor analysis, if any.
  void cancelWork();

  /// True while a file is being opened or a tensor analysed.
  bool isBusy() const { return m_openJobs > 0 || m_tensorJobRunning; }
  /// The reader of file `fileId` (nullptr if there is none).
  std::shared_ptr<const TensorReader> reader(int fileId) const;

  widgets::TensorBrowser* browser() const { return m_browser; }
  widgets::HistogramView* histogramView() const { return m_histogram; }
  widgets::StatsPanel* statsPanel() const { return m_stats; }
  widgets::MetadataView* metadataView() const { return m_metadata; }

  /// The About box's text: version and the versions of Qt, QCustomPlot, HDF5 and oneTBB.
  static QString aboutText();
  /// Recently opened files, newest first (QSettings "recentFiles").
  static QStringList recentFiles();

 signals:
  /// A file is listed in the browser (fileId as the browser knows it).
  void fileOpened(int fileId, const QString& path);
  /// The histogram and statistics of tensor `name` are on screen.
  void tensorShown(const QString& name);
  /// An error dialog is about to be shown with `message`.
  void errorShown(const QString& message);

 protected:
  void closeEvent(QCloseEvent* event) override;
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  void createActions();
  void createDocks();
  void chooseFiles();
  void showAbout();
  void showError(const QString& title, const QString& message);
  int addReader(std::shared_ptr<const TensorReader> reader, const QString& title, const QString& selectName);
  void startAnalysis(int fileId, int tensorIndex);
  void applyAnalysis(std::uint64_t generation, const TensorAnalysis& result);
  void setProgress(std::uint64_t generation, double fraction);
  void updateBusyUi();
  void rememberRecent(const QString& path);
  void rebuildRecentMenu();

  widgets::TensorBrowser* m_browser;
  widgets::HistogramView* m_histogram;
  widgets::StatsPanel* m_stats;
  widgets::MetadataView* m_metadata;
  int m_metadataFileId = 0;  ///< the file whose metadata the metadata dock shows
  QProgressBar* m_progress;
  QPushButton* m_cancel;
  QLabel* m_busyLabel;
  QMenu* m_recentMenu = nullptr;
  QMenu* m_viewMenu = nullptr;

  std::map<int, std::shared_ptr<const TensorReader>> m_files;
  int m_demoFileId = 0;
  int m_openJobs = 0;
  bool m_tensorJobRunning = false;
  /// Bumped by every tensor request; a result whose generation is older is discarded.
  std::uint64_t m_generation = 0;
  std::stop_source m_stop;
};

}  // namespace quench::app
