#pragma once
// The workbench's open files, out of the main window: opening a file or checkpoint folder off the
// GUI thread (its catalog parsed by a worker: a large GGUF or HDF5 header takes a moment), the
// embedded demo, models the Divergence page opened, and the list of them the tensor browser shows.
// It owns the readers and the opening jobs; the window reacts to what it reports.
#include <QObject>
#include <QString>
#include <functional>
#include <map>
#include <memory>

#include "core/io/reader.h"

namespace quench::widgets {
class TensorBrowser;
}

namespace quench::app {

class JobRunner;

class FileController : public QObject {
  Q_OBJECT
 public:
  FileController(widgets::TensorBrowser* browser, QObject* parent = nullptr);
  ~FileController() override;

  /// Open `path` in the background and list it; then `then(fileId)` (0 when it failed, after
  /// openFailed).
  void openThen(const QString& path, std::function<void(int)> then);
  /// The embedded demo tensors, listed once; its file id.
  int ensureDemo();
  /// List an open reader (a model the Divergence page opened) as `title`; `path` is what a saved
  /// session reopens. Its file id.
  int add(std::shared_ptr<const TensorReader> reader, const QString& title, const QString& path);

  /// The reader of file `fileId` (null when there is none).
  std::shared_ptr<const TensorReader> reader(int fileId) const;
  /// fileId → absolute path of every listed file ("" for the demo), in opening order.
  const std::map<int, QString>& paths() const { return m_paths; }
  bool isOpen(int fileId) const { return m_files.count(fileId) > 0; }
  int demoFileId() const { return m_demoFileId; }
  /// Nothing open any more (the browser is emptied too).
  void clear();

  bool isRunning() const;
  /// Stop and wait for the opening jobs (the window's destructor).
  void shutdown();

 signals:
  /// `reader` is listed in the browser as `fileId` (from a path, the demo or a model).
  void listed(int fileId, const QString& title, std::shared_ptr<const TensorReader> reader);
  /// A file opened from `absolutePath` (for the recent-files list).
  void opened(const QString& absolutePath);
  /// Opening `path` failed with `error`.
  void openFailed(const QString& path, const QString& error);
  /// An opening job started or ended.
  void busyChanged();

 private:
  widgets::TensorBrowser* m_browser;
  std::map<int, std::shared_ptr<const TensorReader>> m_files;
  std::map<int, QString> m_paths;
  int m_demoFileId = 0;
  JobRunner* m_jobs;  ///< opening files, side by side (Parallel)
};

}  // namespace quench::app
