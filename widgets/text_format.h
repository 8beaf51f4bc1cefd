#pragma once
// Counts and counted nouns written one way across the application: the user's locale's digit
// grouping (262,144 in en_US, 262 144 in fr_FR, never "262144" next to "67.1 M"), and a noun that
// agrees with its count ("1 part", "2 parts").
#include <QString>

namespace quench::widgets {

/// `n` with the locale's digit grouping (QLocale()).
QString formatCount(qint64 n);
/// "1 part", "0 parts", "262,144 parameters": the count (formatCount) and the noun that agrees.
/// Both forms are passed translated (tr("part"), tr("parts")).
QString countedNoun(qint64 n, const QString& singular, const QString& plural);
/// A real number for a message: the shortest decimal that reads back as the same double, with a
/// typographic minus ("1.1", not "1.1000000000000001").
QString formatMessageNumber(double v);
/// A percentage `p` (already × 100) to two significant digits in fixed notation: "0.0074", "1.5",
/// "12", "100"; "0" for p ≤ 0.
QString formatPercent(double p);

}  // namespace quench::widgets
