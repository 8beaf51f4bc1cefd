// ShortcutPassThrough: a window shortcut (Ctrl+E) fires while a line edit or a spin box has the
// focus, instead of being taken as an editing key; other keys still edit the field.
#include <QtTest/QtTest>

#include <QAction>
#include <QLineEdit>
#include <QSpinBox>
#include <QVBoxLayout>

#include "app/gui/shortcut_passthrough.h"

class TestShortcutPassThrough : public QObject {
  Q_OBJECT
 private slots:
  void ctrlEReachesTheWindow() {
    QWidget window;
    auto* edit = new QLineEdit(QStringLiteral("abc"), &window);
    auto* spin = new QSpinBox(&window);
    auto* layout = new QVBoxLayout(&window);
    layout->addWidget(edit);
    layout->addWidget(spin);
    auto* action = new QAction(&window);
    action->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    window.addAction(action);
    QSignalSpy fired(action, &QAction::triggered);
    window.show();
    window.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&window));

    // Without the filter the line edit takes Ctrl+E (end of line) on this platform or the action
    // fires; with it, the action fires from both widgets.
    quench::app::ShortcutPassThrough filter({QKeySequence(Qt::CTRL | Qt::Key_E)});
    qApp->installEventFilter(&filter);
    edit->setFocus();
    edit->setCursorPosition(0);
    QTest::keyClick(edit, Qt::Key_E, Qt::ControlModifier);
    QCOMPARE(fired.count(), 1);
    QCOMPARE(edit->cursorPosition(), 0);  // not moved to the end: the field did not take the key
    spin->setFocus();
    QTest::keyClick(spin, Qt::Key_E, Qt::ControlModifier);
    QCOMPARE(fired.count(), 2);
    // Ordinary keys still edit.
    edit->setFocus();
    QTest::keyClick(edit, Qt::Key_X);
    QCOMPARE(edit->text(), QStringLiteral("xabc"));
    qApp->removeEventFilter(&filter);
  }
};

QTEST_MAIN(TestShortcutPassThrough)
#include "test_shortcut_passthrough.moc"
