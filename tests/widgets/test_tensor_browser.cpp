// TensorBrowser: grouping by dotted prefix, the five columns (bits per weight of block types), the
// filter, several files, selection.
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QTreeView>
#include <QtTest/QtTest>

#include "widgets/tensor_browser.h"

using quench::DType;
using quench::TensorInfo;
using quench::widgets::TensorBrowser;

namespace {
TensorInfo info(const char* name, DType dtype, quench::Shape shape, std::uint64_t bytes) {
  TensorInfo t;
  t.name = name;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.bytes = bytes;
  return t;
}

std::vector<TensorInfo> llamaLike() {
  return {info("token_embd.weight", DType::F16, {2048, 512}, 2048 * 512 * 2),
          info("blk.0.attn_q.weight", DType::F32, {512, 512}, 512 * 512 * 4),
          info("blk.0.attn_k.weight", DType::BF16, {256, 512}, 256 * 512 * 2),
          info("blk.1.attn_q.weight", DType::Q8_0, {512, 512}, 512 * 512 / 32 * 34),
          info("output_norm.weight", DType::F32, {512}, 2048)};
}

QString cell(const QAbstractItemModel* m, const QModelIndex& parent, int row, int col) {
  return m->index(row, col, parent).data().toString();
}

// Full names of every tensor row the proxy shows, depth first.
QStringList visibleTensors(const QAbstractItemModel* m, const QModelIndex& parent = {}) {
  QStringList out;
  for (int r = 0; r < m->rowCount(parent); ++r) {
    const QModelIndex i = m->index(r, 0, parent);
    if (i.data(TensorBrowser::kTensorIndexRole).toInt() >= 0)
      out << i.data(TensorBrowser::kFullNameRole).toString();
    out << visibleTensors(m, i);
  }
  return out;
}
}  // namespace

class TestTensorBrowser : public QObject {
  Q_OBJECT
 private slots:
  void groupsByDottedPrefix() {
    TensorBrowser b;
    b.addFile("model.gguf", "/tmp/model.gguf", "gguf", llamaLike());
    const auto* m = b.proxyModel();
    QCOMPARE(m->rowCount(), 1);
    const QModelIndex file = m->index(0, 0);
    QCOMPARE(file.data().toString(), QStringLiteral("model.gguf"));
    QCOMPARE(file.data(Qt::ToolTipRole).toString(), QStringLiteral("/tmp/model.gguf\ngguf, 5 tensors"));
    QCOMPARE(file.data(TensorBrowser::kFormatRole).toString(), QStringLiteral("gguf"));
    // Children in order of first appearance: token_embd.weight, the blk group, output_norm.weight.
    QCOMPARE(m->rowCount(file), 3);
    QCOMPARE(cell(m, file, 0, 0), QStringLiteral("token_embd.weight"));
    QCOMPARE(cell(m, file, 1, 0), QStringLiteral("blk"));
    QCOMPARE(cell(m, file, 2, 0), QStringLiteral("output_norm.weight"));
    const QModelIndex blk = m->index(1, 0, file);
    QCOMPARE(m->rowCount(blk), 2);
    QCOMPARE(cell(m, blk, 0, 0), QStringLiteral("0"));
    QCOMPARE(cell(m, blk, 1, 0), QStringLiteral("1"));
    const QModelIndex blk0 = m->index(0, 0, blk);
    QCOMPARE(m->rowCount(blk0), 2);
    QCOMPARE(cell(m, blk0, 0, 0), QStringLiteral("attn_q.weight"));
    QCOMPARE(cell(m, blk0, 1, 0), QStringLiteral("attn_k.weight"));
    // Each tensor row knows its file and catalog index.
    QCOMPARE(m->index(1, 0, blk0).data(TensorBrowser::kTensorIndexRole).toInt(), 2);
    QCOMPARE(m->index(0, 0, blk).data(TensorBrowser::kTensorIndexRole).toInt(), -1);
  }

  void columns() {
    TensorBrowser b;
    b.addFile("model.gguf", "/tmp/model.gguf", "gguf", llamaLike());
    const auto* m = b.proxyModel();
    QCOMPARE(m->columnCount(), 5);
    QCOMPARE(m->headerData(0, Qt::Horizontal).toString(), QStringLiteral("Name"));
    QCOMPARE(m->headerData(1, Qt::Horizontal).toString(), QStringLiteral("Type"));
    QCOMPARE(m->headerData(2, Qt::Horizontal).toString(), QStringLiteral("Bits"));
    QCOMPARE(m->headerData(3, Qt::Horizontal).toString(), QStringLiteral("Shape"));
    QCOMPARE(m->headerData(4, Qt::Horizontal).toString(), QStringLiteral("Size"));
    const QModelIndex file = m->index(0, 0);
    QCOMPARE(cell(m, file, 0, 1), QStringLiteral("F16"));
    QCOMPARE(cell(m, file, 0, 2), QStringLiteral("16"));
    QCOMPARE(cell(m, file, 0, 3), QString::fromUtf8("2048×512"));
    QCOMPARE(cell(m, file, 0, 4), QStringLiteral("2.00 MiB"));  // 2048·512·2 B
    QCOMPARE(cell(m, file, 2, 3), QStringLiteral("512"));
    QCOMPARE(cell(m, file, 2, 4), QStringLiteral("2.00 KiB"));
    const QModelIndex blk = m->index(1, 0, file);
    QCOMPARE(cell(m, blk, 1, 3), QStringLiteral("1 tensor"));
    const QModelIndex blk1 = m->index(1, 0, blk);
    QCOMPARE(cell(m, blk1, 0, 1), QStringLiteral("Q8_0"));
    QCOMPARE(cell(m, blk1, 0, 2), QStringLiteral("8.5"));      // 34 B per 32 weights
    QCOMPARE(cell(m, blk1, 0, 4), QStringLiteral("272 KiB"));  // 8192 blocks · 34 B = 278 528 B
    // Groups and the file row sum their tensors; their bits per weight is stored bits over
    // elements: blk holds 1 589 248 B for 655 360 weights = 19.40 bits, the file 3 688 448 B for
    // 1 704 448 weights = 17.31 bits.
    QCOMPARE(cell(m, file, 1, 3), QStringLiteral("3 tensors"));
    QCOMPARE(cell(m, file, 1, 4), QStringLiteral("1.52 MiB"));  // 1 048 576 + 262 144 + 278 528 B
    QCOMPARE(cell(m, file, 1, 2), QStringLiteral("19.40"));
    QCOMPARE(cell(m, {}, 0, 1), QString());
    QCOMPARE(cell(m, {}, 0, 2), QStringLiteral("17.31"));
    QCOMPARE(cell(m, {}, 0, 3), QStringLiteral("5 tensors"));
  }

  void blockTypesShowTrueBitsPerWeight() {
    // llama.cpp's K-quants: Q4_K stores 144 B per 256 weights (4.5 bits), Q6_K 210 B (6.5625),
    // Q2_K 84 B (2.625); with a Q8_0 tensor of 256 (272 B) the group holds 710 B for 1024
    // weights: 5.546875 bits.
    TensorBrowser b;
    b.addFile("q.gguf", "/tmp/q.gguf", "gguf",
              {info("blk.0.a.weight", DType::Q4_K, {1, 256}, 144), info("blk.0.b.weight", DType::Q6_K, {1, 256}, 210),
               info("blk.0.c.weight", DType::Q2_K, {1, 256}, 84), info("blk.0.d.weight", DType::Q8_0, {1, 256}, 272)});
    const auto* m = b.proxyModel();
    const QModelIndex blk0 = m->index(0, 0, m->index(0, 0, m->index(0, 0)));
    QCOMPARE(cell(m, blk0, 0, 1), QStringLiteral("Q4_K"));
    QCOMPARE(cell(m, blk0, 0, 2), QStringLiteral("4.5"));
    QCOMPARE(cell(m, blk0, 1, 2), QStringLiteral("6.5625"));
    QCOMPARE(cell(m, blk0, 2, 2), QStringLiteral("2.625"));
    QCOMPARE(cell(m, blk0, 3, 2), QStringLiteral("8.5"));
    QCOMPARE(m->index(0, 2, m->index(0, 0, m->index(0, 0))).data().toString(), QStringLiteral("5.55"));
    QVERIFY(m->index(0, 2, m->index(0, 0, m->index(0, 0))).data(Qt::UserRole).toDouble() == 5.546875);
  }

  // Issue 13: the name column shows leaf names in full (it is as wide as the longest name at its
  // depth, the dock scrolls sideways), elides in the middle if the user narrows it, and every
  // tensor row's tooltip is its full name.
  void namesReadableInANarrowDock() {
    TensorBrowser b;
    b.resize(200, 400);
    b.show();
    QVERIFY(QTest::qWaitForWindowExposed(&b));
    b.addFile("model.gguf", "/tmp/model.gguf", "gguf", llamaLike());
    QTreeView* tree = b.treeView();
    QCOMPARE(tree->textElideMode(), Qt::ElideMiddle);
    const QFontMetrics fm(tree->font());
    // attn_q.weight sits at depth 3 (file ▸ blk ▸ 0 ▸ leaf).
    const int leaf = fm.horizontalAdvance(QStringLiteral("attn_q.weight"));
    QVERIFY(b.nameColumnWidthNeeded() >= 3 * tree->indentation() + leaf);
    QVERIFY(tree->columnWidth(TensorBrowser::kName) >= b.nameColumnWidthNeeded());
    const auto* m = b.proxyModel();
    const QModelIndex blk0 = m->index(0, 0, m->index(1, 0, m->index(0, 0)));
    QCOMPARE(m->index(0, 0, blk0).data().toString(), QStringLiteral("attn_q.weight"));
    QCOMPARE(m->index(0, 0, blk0).data(Qt::ToolTipRole).toString().section('\n', 0, 0), QStringLiteral("blk.0.attn_q.weight"));
    // The column's text rectangle really holds the leaf: the visual rect of the row is wide enough.
    tree->expandAll();
    const QRect r = tree->visualRect(m->index(0, 0, blk0));
    QVERIFY2(r.width() >= leaf, qPrintable(QStringLiteral("%1 < %2").arg(r.width()).arg(leaf)));
  }

  void humanBytes() {
    QCOMPARE(TensorBrowser::humanBytes(0), QStringLiteral("0 B"));
    QCOMPARE(TensorBrowser::humanBytes(1023), QStringLiteral("1023 B"));
    QCOMPARE(TensorBrowser::humanBytes(1024), QStringLiteral("1.00 KiB"));
    QCOMPARE(TensorBrowser::humanBytes(1536), QStringLiteral("1.50 KiB"));
    QCOMPARE(TensorBrowser::humanBytes(10 * 1024 * 1024), QStringLiteral("10.0 MiB"));
    QCOMPARE(TensorBrowser::humanBytes(std::uint64_t{500} << 30), QStringLiteral("500 GiB"));
    QCOMPARE(TensorBrowser::humanBytes(std::uint64_t{3} << 40), QStringLiteral("3.00 TiB"));
  }

  void filter() {
    TensorBrowser b;
    b.addFile("model.gguf", "/tmp/model.gguf", "gguf", llamaLike());
    const auto* m = b.proxyModel();
    QCOMPARE(visibleTensors(m).size(), 5);
    b.filterEdit()->setText("attn_k");
    QCOMPARE(visibleTensors(m), QStringList{"blk.0.attn_k.weight"});
    b.filterEdit()->setText("ATTN_Q");  // case-insensitive
    QCOMPARE(visibleTensors(m), (QStringList{"blk.0.attn_q.weight", "blk.1.attn_q.weight"}));
    b.filterEdit()->setText("blk.1");  // a group prefix shows the whole group
    QCOMPARE(visibleTensors(m), QStringList{"blk.1.attn_q.weight"});
    b.filterEdit()->setText("nothing-like-this");
    QCOMPARE(m->rowCount(), 0);
    b.filterEdit()->clear();
    QCOMPARE(visibleTensors(m).size(), 5);
  }

  void severalFilesAndSelection() {
    TensorBrowser b;
    const int a = b.addFile("a.safetensors", "/x/a.safetensors", "safetensors", llamaLike());
    const int c = b.addFile("c.npz", "/x/c.npz", "npz", {info("w", DType::F64, {3, 4}, 96)});
    QVERIFY(a != c);
    QCOMPARE(b.proxyModel()->rowCount(), 2);
    QCOMPARE(cell(b.proxyModel(), {}, 1, 0), QStringLiteral("c.npz"));
    QSignalSpy spy(&b, &TensorBrowser::tensorSelected);
    QVERIFY(b.selectTensor(a, "blk.1.attn_q.weight"));
    QCOMPARE(spy.size(), 1);
    QCOMPARE(spy.at(0).at(0).toInt(), a);
    QCOMPARE(spy.at(0).at(1).toInt(), 3);
    QVERIFY(b.selectTensor(c, "w"));
    QCOMPARE(spy.size(), 2);
    QCOMPARE(spy.at(1).at(0).toInt(), c);
    QCOMPARE(spy.at(1).at(1).toInt(), 0);
    QVERIFY(!b.selectTensor(c, "blk.1.attn_q.weight"));  // that name lives in the other file
    QVERIFY(!b.selectTensor(99, "w"));
    // Selecting a group row is not a tensor selection.
    b.treeView()->setCurrentIndex(b.proxyModel()->index(1, 0, b.proxyModel()->index(0, 0)));
    QCOMPARE(spy.size(), 2);
    b.clear();
    QCOMPARE(b.proxyModel()->rowCount(), 0);
  }

  void ctrlFFocusesFilter() {
    QWidget window;
    auto* b = new TensorBrowser(&window);
    b->addFile("m", "m", "demo", llamaLike());
    window.show();
    window.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    b->treeView()->setFocus();
    QVERIFY(!b->filterEdit()->hasFocus());
    QTest::keyClick(&window, Qt::Key_F, Qt::ControlModifier);
    QTRY_VERIFY(b->filterEdit()->hasFocus());
  }
};

QTEST_MAIN(TestTensorBrowser)
#include "test_tensor_browser.moc"
