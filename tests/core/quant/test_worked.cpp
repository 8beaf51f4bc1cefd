// The worked (board) table of MATH.md §2: every step checked against hand arithmetic on exactly
// representable values, the three deterministic roundings, saturation and per-part totals, the
// text parsers' errors, the absmax/min-max proposals, and agreement with
// `quench-cli quantize --values ... --json` (codes, dequantized values, saturated flags).
#include <QtTest/QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>

#include "common/cli_run.h"
#include "common/fuzzy.h"
#include "core/quant/worked.h"
#include "core/tensor/number_text.h"

using namespace quench;

namespace {
// x = (0.75, −1.25, 0.375, 3.0); part 0 = {0, 1}: s = 0.5, b = 0, [−7, 7];
// part 1 = {2, 3}: s = 0.25, b = 1, [0, 3] (2-bit unsigned). All values exact in binary.
const std::vector<double> kX{0.75, -1.25, 0.375, 3.0};
const std::vector<PartParams> kParams{{0.5, 0, -7, 7}, {0.25, 1, 0, 3}};
}  // namespace

class TestWorked : public QObject {
  Q_OBJECT
 private slots:
  void handTableHalfEven() {
    auto part = parseWorkedParts("0,1;2,3", 4);
    QVERIFY(part);
    auto w = workedQuantization(kX, *part, kParams, Rounding::HalfEven);
    QVERIFY2(w, w ? "" : w.error().message.c_str());
    QCOMPARE(w->rows.size(), std::size_t{4});
    // 0.75/0.5 = 1.5 → 2 (even); x~ = 0.5·2 = 1.0; error +0.25.
    QCOMPARE(w->rows[0].xOverS, 1.5);
    QCOMPARE(w->rows[0].rounded, 2.0);
    QCOMPARE(w->rows[0].code, std::int64_t{2});
    QCOMPARE(w->rows[0].dequantized, 1.0);
    QCOMPARE(w->rows[0].error, 0.25);
    // −1.25/0.5 = −2.5 → −2 (even); x~ = −1.0; error +0.25.
    QCOMPARE(w->rows[1].xOverS, -2.5);
    QCOMPARE(w->rows[1].rounded, -2.0);
    QCOMPARE(w->rows[1].dequantized, -1.0);
    QCOMPARE(w->rows[1].error, 0.25);
    // 0.375/0.25 = 1.5 → 2, +b = 3, in [0, 3]: code 3, x~ = 0.25·(3 − 1) = 0.5, error 0.125.
    QCOMPARE(w->rows[2].shifted, 3.0);
    QCOMPARE(w->rows[2].code, std::int64_t{3});
    QCOMPARE(w->rows[2].dequantized, 0.5);
    QVERIFY(!w->rows[2].saturated);
    // 3/0.25 = 12, +1 = 13 > 3: saturated, code 3, x~ = 0.5, error −2.5.
    QCOMPARE(w->rows[3].xOverS, 12.0);
    QCOMPARE(w->rows[3].shifted, 13.0);
    QCOMPARE(w->rows[3].code, std::int64_t{3});
    QVERIFY(w->rows[3].saturated);
    QCOMPARE(w->rows[3].error, -2.5);
    QCOMPARE(w->rows[3].part, std::size_t{1});
    // Totals: part 0 MSE (0.0625 + 0.0625)/2; part 1 (0.015625 + 6.25)/2; all 6.390625/4.
    QCOMPARE(w->parts[0].mse, 0.0625);
    QCOMPARE(w->parts[1].mse, 3.1328125);
    QCOMPARE(w->parts[1].maxAbsError, 2.5);
    QCOMPARE(w->parts[0].saturated, std::uint64_t{0});
    QCOMPARE(w->parts[1].saturated, std::uint64_t{1});
    QCOMPARE(w->mse, 1.59765625);
    QCOMPARE(w->saturated, std::uint64_t{1});
    // Over all elements: max |error| 2.5; SQNR 10·log10(Σx²/Σe²) = 10·log10(11.265625/6.390625).
    QCOMPARE(w->maxAbsError, 2.5);
    QVERIFY(std::fabs(w->sqnrDb - 2.462119567120872) < 1e-12);
  }

  void otherRoundings() {
    auto part = parseWorkedParts("0,1;2,3", 4);
    auto away = workedQuantization(kX, *part, kParams, Rounding::HalfAwayFromZero);
    QVERIFY(away);
    QCOMPARE(away->rows[1].rounded, -3.0);  // −2.5 away from zero
    QCOMPARE(away->rows[1].dequantized, -1.5);
    auto zero = workedQuantization(kX, *part, kParams, Rounding::TowardZero);
    QVERIFY(zero);
    QCOMPARE(zero->rows[0].rounded, 1.0);  // 1.5 truncated
    QCOMPARE(zero->rows[0].dequantized, 0.5);
    QCOMPARE(zero->rows[2].code, std::int64_t{2});  // 1 + 1
  }

  void nonContiguousParts() {
    // Parts {0, 2} and {1, 3}: row i still describes element i and names its part.
    auto part = parseWorkedParts("0,2; 1,3", 4);
    QVERIFY(part);
    auto w = workedQuantization(kX, *part, kParams, Rounding::HalfEven);
    QVERIFY(w);
    QCOMPARE(w->rows[2].part, std::size_t{0});
    QCOMPARE(w->rows[2].xOverS, 0.75);  // 0.375/0.5
    QCOMPARE(w->rows[1].xOverS, -5.0);  // −1.25/0.25; +1 = −4 < 0 → saturated at 0
    QVERIFY(w->rows[1].saturated);
    QCOMPARE(w->rows[1].code, std::int64_t{0});
    QCOMPARE(w->rows[1].dequantized, -0.25);
  }

  void parseErrors() {
    QVERIFY(!parseWorkedValues(""));
    auto bad = parseWorkedValues("1.2, x, 3");
    QVERIFY(!bad);
    QVERIFY(bad.error().message.find("'x'") != std::string::npos);
    auto v = parseWorkedValues(" 1.2 ,-0.55, +2");
    QVERIFY(v);
    QCOMPARE(v->size(), std::size_t{3});
    QCOMPARE((*v)[0], 1.2);  // the nearest double, not float32
    QVERIFY(!parseWorkedParts("0,1;2", 4));    // index 3 uncovered
    QVERIFY(!parseWorkedParts("0,1;1,2,3", 4)); // 1 twice
    QVERIFY(!parseWorkedParts("0,1;2,9", 4));   // out of range
    QVERIFY(!parseWorkedParts("0,a", 2));
    auto one = parseWorkedParts("", 3);
    QVERIFY(one);
    QCOMPARE(one->partCount(), std::size_t{1});
    auto part = parseWorkedParts("0,1;2,3", 4);
    QVERIFY(!workedQuantization(kX, *part, std::vector<PartParams>{kParams[0]}, Rounding::HalfEven));
    QVERIFY(!workedQuantization(kX, *part, std::vector<PartParams>{{0.0, 0, -7, 7}, kParams[1]}, Rounding::HalfEven));
    QVERIFY(!workedQuantization(kX, *part, std::vector<PartParams>{{0.5, 0, 7, -7}, kParams[1]}, Rounding::HalfEven));
  }

  void proposals() {
    // absmax over {0.75, −1.25} with M = 5: s = 1.25/5 = 0.25.
    const std::vector<double> a{0.75, -1.25};
    auto p = proposeAbsmax(a, 5);
    QVERIFY(p);
    QCOMPARE(p->scale, 0.25);
    QCOMPARE(p->zeroPoint, std::int64_t{0});
    QCOMPARE(p->clipLow, std::int64_t{-5});
    // min-max over {−1, 2} on [0, 3]: s = 3/3 = 1, b = round(1) = 1.
    const std::vector<double> b{-1.0, 2.0, 0.5};
    auto m = proposeMinMax(b, 0, 3);
    QVERIFY(m);
    QCOMPARE(m->scale, 1.0);
    QCOMPARE(m->zeroPoint, std::int64_t{1});
    QVERIFY(!proposeMinMax(b, 3, 3));
    QVERIFY(!proposeAbsmax(a, 0));
  }

  // The board table equals `quench-cli quantize --values ... --json` for the textbook example.
  void agreesWithCli_data() {
    QTest::addColumn<QString>("round");
    QTest::addColumn<int>("r");
    QTest::newRow("even") << "even" << int(Rounding::HalfEven);
    QTest::newRow("away") << "away" << int(Rounding::HalfAwayFromZero);
    QTest::newRow("zero") << "zero" << int(Rounding::TowardZero);
    QTest::newRow("stochastic") << "stochastic" << int(Rounding::Stochastic);
  }
  void agreesWithCli() {
    QFETCH(QString, round);
    QFETCH(int, r);
    const char* values = "1.2, -0.55, 0.07, 2.31, -0.305, 0.5";
    auto run = test::runCli({"quantize", "--values", values, "--parts", "0,1,4;2,3,5", "--scale", "0.01,0.02",
                             "--zero", "0,-2", "--clip", "127,-7:7", "--round", round, "--json"});
    QCOMPARE(run.exitCode, 0);
    const QJsonObject j = QJsonDocument::fromJson(run.out).object();
    auto x = parseWorkedValues(values);
    auto part = parseWorkedParts("0,1,4;2,3,5", 6);
    QVERIFY(x && part);
    // The CLI uses typed scales as typed (MATH.md §2's textbook form).
    const std::vector<PartParams> params{{0.01, 0, -127, 127}, {0.02, -2, -7, 7}};
    auto w = workedQuantization(*x, *part, params, static_cast<Rounding>(r));
    QVERIFY(w);
    const QJsonArray codes = j["codes"].toArray(), deq = j["dequantized"].toArray(), sat = j["saturated"].toArray();
    QCOMPARE(codes.size(), 6);
    int saturated = 0;
    for (int i = 0; i < 6; ++i) {
      QCOMPARE(w->rows[i].code, static_cast<std::int64_t>(codes[i].toInteger()));
      QCOMPARE(w->rows[i].dequantized, deq[i].toDouble());
      QCOMPARE(w->rows[i].xOverS, j["x_over_s"].toArray()[i].toDouble());
      QCOMPARE(w->rows[i].error, j["error"].toArray()[i].toDouble());
      QCOMPARE(w->rows[i].saturated, sat[i].toBool());
      saturated += sat[i].toBool();
    }
    // 2.31/0.02 = 115.5 → +(−2) far above 7: at least that one saturates.
    QVERIFY(w->rows[3].saturated);
    QCOMPARE(w->saturated, static_cast<std::uint64_t>(saturated));
    const QJsonArray parts = j["parts"].toArray();
    QCOMPARE(w->parts[1].saturated, static_cast<std::uint64_t>(parts[1].toObject()["saturated"].toInteger()));
    QCOMPARE(w->parts[0].mse, parts[0].toObject()["mse"].toDouble());
    QCOMPARE(w->parts[1].mse, parts[1].toObject()["mse"].toDouble());
  }

  // MATH.md §2's textbook form: typed values in double, no float32 anywhere. By hand (Python's
  // float is the same IEEE double): 1.2/0.01 = 120.0 exactly, 0.01·120 = 1.2, error 0 (float32
  // would give 120.00001, 1.1999999, −1.19e−07); 1.15/0.1 = 11.499999999999998 → 11 under
  // half-to-even, x̃ = 0.1·11 = 1.1, error −0.04999999999999982.
  void exactTypedValues() {
    auto x = parseWorkedValues("1.2, 1.15");
    QVERIFY(x);
    auto part = parseWorkedParts("0;1", 2);
    QVERIFY(part);
    auto w = workedQuantization(*x, *part, std::vector<PartParams>{{0.01, 0, -127, 127}, {0.1, 0, -127, 127}},
                                Rounding::HalfEven);
    QVERIFY(w);
    QCOMPARE(w->rows[0].xOverS, 120.0);
    QCOMPARE(w->rows[0].code, std::int64_t{120});
    QCOMPARE(w->rows[0].dequantized, 1.2);
    QCOMPARE(w->rows[0].error, 0.0);
    QCOMPARE(shortestDecimal(w->rows[0].dequantized), std::string("1.2"));
    QCOMPARE(shortestDecimal(w->rows[0].error), std::string("0"));
    QCOMPARE(shortestDecimal(w->rows[1].xOverS), std::string("11.499999999999998"));
    QCOMPARE(w->rows[1].rounded, 11.0);
    QCOMPARE(w->rows[1].tie, WorkedTie::None);  // not a tie: the rule and the printed value agree
    QCOMPARE(shortestDecimal(w->rows[1].dequantized), std::string("1.1"));
    QCOMPARE(shortestDecimal(w->rows[1].error), std::string("-0.04999999999999982"));
    QCOMPARE(w->parts[0].params.scale, 0.01);  // as typed, not 0.0099999998 (fp32)
  }

  // Ties: 1.25/0.5 = 2.5 exactly (a real tie, → 2 under half-to-even, 3 away from zero);
  // 0.25/0.1 is 2.5 in double but the exact quotient of the doubles 0.25 and
  // 0.1000000000000000055511151231257827 is 2.4999999999999998612…: a tie of the division only.
  // Truncation has no ties to break.
  void ties() {
    auto part = parseWorkedParts("", 3);
    const std::vector<double> x{1.25, 0.25, 0.3};
    const std::vector<PartParams> half{{0.5, 0, -7, 7}};
    auto w = workedQuantization(std::span<const double>(x).first(1), *parseWorkedParts("", 1), half, Rounding::HalfEven);
    QVERIFY(w);
    QCOMPARE(w->rows[0].tie, WorkedTie::Exact);
    QCOMPARE(w->rows[0].rounded, 2.0);
    w = workedQuantization(std::span<const double>(x).first(1), *parseWorkedParts("", 1), half, Rounding::HalfAwayFromZero);
    QCOMPARE(w->rows[0].tie, WorkedTie::Exact);
    QCOMPARE(w->rows[0].rounded, 3.0);
    w = workedQuantization(std::span<const double>(x).first(1), *parseWorkedParts("", 1), half, Rounding::TowardZero);
    QCOMPARE(w->rows[0].tie, WorkedTie::None);
    auto t = workedQuantization(x, *part, std::vector<PartParams>{{0.1, 0, -7, 7}}, Rounding::HalfEven);
    QVERIFY(t);
    QCOMPARE(t->rows[1].xOverS, 2.5);
    QCOMPARE(t->rows[1].tie, WorkedTie::FromDivision);
    QCOMPARE(t->rows[1].rounded, 2.0);
    QCOMPARE(t->rows[2].tie, WorkedTie::None);  // 0.3/0.1 = 2.9999999999999996
    QCOMPARE(shortestDecimal(t->rows[2].xOverS), std::string("2.9999999999999996"));
  }
};

QTEST_MAIN(TestWorked)
#include "test_worked.moc"
