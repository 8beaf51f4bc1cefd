#include "app/gui/file_controller.h"

#include <QFileInfo>

#include "app/gui/job_runner.h"
#include "core/io/demo.h"
#include "widgets/tensor_browser.h"

namespace quench::app {
namespace {
struct FileOpened {
  QString path;
  std::shared_ptr<const TensorReader> reader;
  QString error;
};
}  // namespace

FileController::FileController(widgets::TensorBrowser* browser, QObject* parent)
    : QObject(parent), m_browser(browser), m_jobs(new JobRunner(JobPolicy::Parallel, this)) {}

FileController::~FileController() { m_jobs->shutdown(); }

bool FileController::isRunning() const { return m_jobs->isRunning(); }
void FileController::shutdown() { m_jobs->shutdown(); }

std::shared_ptr<const TensorReader> FileController::reader(int fileId) const {
  auto it = m_files.find(fileId);
  return it == m_files.end() ? nullptr : it->second;
}

void FileController::openThen(const QString& path, std::function<void(int)> then) {
  JobCallbacks<FileOpened> done;
  done.result = [this, then](const FileOpened& outcome) {
    emit busyChanged();
    if (!outcome.error.isEmpty()) {
      emit openFailed(outcome.path, outcome.error);
      then(0);
      return;
    }
    const QString absolute = QFileInfo(outcome.path).absoluteFilePath();
    emit opened(outcome.path);
    then(add(outcome.reader, QFileInfo(outcome.path).fileName(), absolute));
  };
  done.failed = [this, path, then](const QString& what) {
    emit busyChanged();
    emit openFailed(path, tr("%1: %2").arg(path, what));
    then(0);
  };
  // The catalog is parsed off the GUI thread: a large GGUF or HDF5 header takes a moment.
  m_jobs->start<FileOpened>(
      [path](QPromise<FileOpened>&, std::stop_token) {
        FileOpened out{path, nullptr, {}};
        auto reader = openTensorFile(path.toStdString());
        if (reader)
          out.reader = std::shared_ptr<const TensorReader>(std::move(reader).value());
        else
          out.error = QString::fromStdString(reader.error().message);
        return out;
      },
      done);
  emit busyChanged();
}

int FileController::ensureDemo() {
  // The demo's catalog is a constant list: building it is instant, no worker needed.
  if (!m_demoFileId) m_demoFileId = add(makeDemoReader(), tr("Quench demo"), QString());
  return m_demoFileId;
}

int FileController::add(std::shared_ptr<const TensorReader> reader, const QString& title, const QString& path) {
  const int id = m_browser->addFile(title, QString::fromStdString(reader->path()), QString::fromLatin1(reader->format()),
                                    reader->tensors());
  m_files[id] = reader;
  m_paths[id] = path;
  emit listed(id, title, std::move(reader));
  return id;
}

void FileController::clear() {
  m_browser->clear();
  m_files.clear();
  m_paths.clear();
  m_demoFileId = 0;
}

}  // namespace quench::app
