// poolSaturationMap: cells by hand (largest magnitude with its sign, saturated counts), ragged
// edges, pass-through when the tensor is small, NaN handling and size errors.
#include <QtTest/QtTest>

#include <cmath>

#include "core/stats/saturation_map.h"

using namespace quench;

class TestSaturationMap : public QObject {
  Q_OBJECT
 private slots:
  void byHand() {
    // 3 × 5 into at most 2 × 2 cells: strides ⌈3/2⌉ = 2, ⌈5/2⌉ = 3 → 2 × 2 cells,
    // covering rows {0,1},{2} and columns {0,1,2},{3,4}.
    const std::vector<float> v{1, -7, 2, 3, 0,  //
                               4, 5, 6, -1, 9,  //
                               0, 0, -8, 2, -3};
    const std::vector<std::uint8_t> s{0, 1, 0, 0, 0,  //
                                      0, 0, 1, 0, 1,  //
                                      1, 1, 1, 0, 0};
    auto m = poolSaturationMap(v, s, 3, 5, 2, 2);
    QVERIFY(m);
    QCOMPARE(m->rows, std::size_t(2));
    QCOMPARE(m->cols, std::size_t(2));
    QCOMPARE(m->rowStride, std::size_t(2));
    QCOMPARE(m->colStride, std::size_t(3));
    QCOMPARE(m->value, (std::vector<float>{-7, 9, -8, -3}));
    QCOMPARE(m->saturated, (std::vector<std::uint32_t>{2, 1, 3, 0}));
  }

  void smallTensorPassesThrough() {
    const std::vector<float> v{1, 2, 3, 4, 5, 6};
    auto m = poolSaturationMap(v, {}, 2, 3, 100, 100);
    QVERIFY(m);
    QCOMPARE(m->rows, std::size_t(2));
    QCOMPARE(m->cols, std::size_t(3));
    QCOMPARE(m->value, v);
    QCOMPARE(m->saturated, (std::vector<std::uint32_t>(6, 0)));
  }

  void nanLosesToNumbers() {
    const float nan = std::nanf("");
    const std::vector<float> v{nan, -2, nan, nan};
    auto m = poolSaturationMap(v, {}, 2, 2, 1, 1);
    QVERIFY(m);
    QCOMPARE(m->value.size(), std::size_t(1));
    QCOMPARE(m->value[0], -2.0f);
    auto all = poolSaturationMap(std::vector<float>{nan, nan}, {}, 1, 2, 1, 1);
    QVERIFY(all && std::isnan(all->value[0]));
  }

  void errors() {
    const std::vector<float> v(6, 1.0f);
    QVERIFY(!poolSaturationMap(v, {}, 2, 4, 2, 2));
    QVERIFY(!poolSaturationMap(v, std::vector<std::uint8_t>(5), 2, 3, 2, 2));
    QVERIFY(!poolSaturationMap(v, {}, 2, 3, 0, 2));
    QVERIFY(!poolSaturationMap({}, {}, 0, 3, 2, 2));
    const auto e = poolSaturationMap(v, {}, 2, 4, 2, 2);
    QVERIFY(e.error().message.find("do not fill") != std::string::npos);
  }
};

QTEST_APPLESS_MAIN(TestSaturationMap)
#include "test_saturation_map.moc"
