#include "widgets/param_field.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace quench::widgets {

namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

// The shortest decimal that reads back as v.
QString shortest(double v) {
  char buf[64];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return QString::fromLatin1(buf, int(ptr - buf));
}

// An integer spin box that steps through `steps` only (bits: 2..8, 16); typing any value in the
// range stays possible, so the note can say why 12 is refused.
class StepSpinBox : public QSpinBox {
 public:
  explicit StepSpinBox(std::vector<std::int64_t> steps) : m_steps(std::move(steps)) {}
  void stepBy(int n) override {
    if (m_steps.empty()) return QSpinBox::stepBy(n);
    const std::int64_t v = value();
    auto it = std::lower_bound(m_steps.begin(), m_steps.end(), v);
    std::ptrdiff_t i = it - m_steps.begin();
    if (n > 0) i += (it != m_steps.end() && *it == v) ? n : n - 1;
    else i += n;
    i = std::clamp<std::ptrdiff_t>(i, 0, std::ptrdiff_t(m_steps.size()) - 1);
    setValue(int(m_steps[std::size_t(i)]));
  }

 private:
  std::vector<std::int64_t> m_steps;
};

// "a number in (0, 100]", as the core words the range of a Number.
QString numberRange(double min, double max, bool minExclusive) {
  const QString hi = std::isinf(max) ? QStringLiteral("∞)") : shortest(max) + QLatin1Char(']');
  return QStringLiteral("a number in %1%2, %3").arg(minExclusive ? "(" : "[", shortest(min), hi);
}

// A number typed into a line edit, or why it is not one in [min, max].
std::optional<double> readNumber(const QString& raw, double min, double max, bool minExclusive, const QString& name,
                                 QString* error) {
  const QString text = raw.trimmed();
  bool ok = false;
  const double v = text.toDouble(&ok);
  const bool low = minExclusive ? v > min : v >= min;
  if (!ok || !std::isfinite(v) || !low || !(v <= max)) {
    *error = QStringLiteral("%1 must be %2, got '%3'").arg(name, numberRange(min, max, minExclusive), text);
    return std::nullopt;
  }
  return v;
}

QComboBox* comboOf(const std::vector<ParamChoice>& choices, const QString& tip) {
  auto* c = new QComboBox;
  for (const ParamChoice& ch : choices) c->addItem(qs(ch.label.empty() ? ch.key : ch.label), qs(ch.key));
  c->setToolTip(tip);
  return c;
}

void selectData(QComboBox* c, const QString& key) {
  const int i = c->findData(key);
  if (i >= 0) c->setCurrentIndex(i);
}

}  // namespace

ParamField::ParamField(const ParamDescriptor& param, QWidget* parent) : QWidget(parent), m_param(param) {
  auto* row = new QHBoxLayout(this);
  row->setContentsMargins(0, 0, 0, 0);
  const QString tip = qs(m_param.tooltip());
  switch (m_param.type) {
    case ParamType::Bool: {
      if (m_param.trueChoice && m_param.falseChoice) {
        auto* c = comboOf({*m_param.trueChoice, *m_param.falseChoice}, tip);
        connect(c, &QComboBox::activated, this, [this, c] {
          if (!m_updating) emit edited(c->currentData().toString() == qs(m_param.trueChoice->key), false);
        });
        m_main = c;
      } else {
        auto* b = new QCheckBox(qs(m_param.checkText));
        b->setToolTip(tip);
        connect(b, &QCheckBox::toggled, this, [this](bool on) {
          if (!m_updating) emit edited(on, false);
        });
        m_main = b;
      }
      row->addWidget(m_main);
      break;
    }
    case ParamType::Int: {
      auto* spin = new StepSpinBox(m_param.steps);
      spin->setRange(int(std::max<double>(m_param.min, std::numeric_limits<int>::min())),
                     int(std::min<double>(m_param.max, std::numeric_limits<int>::max())));
      if (!m_param.zeroText.empty()) spin->setSpecialValueText(qs(m_param.zeroText));
      spin->setKeyboardTracking(false);
      spin->setToolTip(tip);
      connect(spin, &QSpinBox::valueChanged, this, [this](int v) {
        if (!m_updating) emit edited(std::int64_t{v}, false);
      });
      watchTyping(spin, true);
      m_main = spin;
      row->addWidget(spin);
      if (m_param.slider && !m_param.steps.empty()) {
        m_slider = new QSlider(Qt::Horizontal);
        m_slider->setRange(0, int(m_param.steps.size()) - 1);
        m_slider->setPageStep(1);
        m_slider->setTickPosition(QSlider::TicksBelow);
        m_slider->setToolTip(tip);
        connect(m_slider, &QSlider::valueChanged, this, [this](int i) {
          if (!m_updating) emit edited(m_param.steps[std::size_t(std::clamp(i, 0, m_slider->maximum()))], true);
        });
        connect(m_slider, &QSlider::sliderReleased, this, &ParamField::sliderReleased);
        row->addWidget(m_slider, 1);
      }
      break;
    }
    case ParamType::Number: {
      if (m_param.step > 0) {
        auto* spin = new QDoubleSpinBox;
        const double lowest = std::pow(10.0, -m_param.decimals);
        spin->setDecimals(m_param.decimals);
        spin->setRange(m_param.minExclusive ? m_param.min + lowest : m_param.min,
                       std::isinf(m_param.max) ? 1e6 : m_param.max);
        spin->setSingleStep(m_param.step);
        spin->setKeyboardTracking(false);
        spin->setToolTip(tip);
        connect(spin, &QDoubleSpinBox::valueChanged, this, [this](double v) {
          if (!m_updating) emit edited(v, false);
        });
        watchTyping(spin, false);
        m_main = spin;
      } else {
        auto* edit = new QLineEdit;
        edit->setToolTip(tip);
        connect(edit, &QLineEdit::editingFinished, this, [this, edit] {
          if (m_updating) return;
          QString error;
          if (auto v = readNumber(edit->text(), m_param.min, m_param.max, m_param.minExclusive, qs(m_param.noun), &error))
            emit edited(*v, false);
          else
            emit rejected(error);
        });
        m_main = edit;
      }
      row->addWidget(m_main);
      break;
    }
    case ParamType::Choice: {
      auto* c = comboOf(m_param.choices, tip);
      connect(c, &QComboBox::activated, this, [this, c] {
        if (!m_updating) emit edited(c->currentData().toString().toStdString(), false);
      });
      m_main = c;
      row->addWidget(c);
      break;
    }
    case ParamType::Spec: buildSpec(row); break;
    case ParamType::PartOverrides: break;  // the parts table edits them
  }
  m_hint = new QLabel;
  m_hint->setStyleSheet(QStringLiteral("color: #555;"));
  m_hint->setVisible(false);
  row->addWidget(m_hint, 1);
}

void ParamField::buildSpec(QHBoxLayout* row) {
  const SpecSyntax& syntax = *m_param.syntax;
  std::vector<ParamChoice> alternatives;
  for (const SpecAlternative& a : syntax.alternatives) alternatives.push_back({a.key, a.label});
  auto* combo = comboOf(alternatives, qs(m_param.tooltip()));
  m_main = combo;
  // The combo takes the room of the row, unless a hint (the part count) follows the fields.
  row->addWidget(combo, syntax.hint ? 0 : 1);
  connect(combo, &QComboBox::activated, this, [this] {
    if (m_updating) return;
    updateSpecArgs();
    specEdited();
  });
  for (const SpecArg& a : syntax.args) {
    const QString id = qs(a.id);
    if (!a.label.empty()) {
      auto* l = new QLabel(qs(a.label));
      row->addWidget(l);
      m_argLabels[id].push_back(l);
    }
    QWidget* w = nullptr;
    switch (a.type) {
      case ParamType::Int: {
        auto* spin = new QSpinBox;
        spin->setRange(int(a.min), int(a.max));
        spin->setPrefix(qs(a.prefix));
        spin->setKeyboardTracking(false);
        connect(spin, &QSpinBox::valueChanged, this, [this] {
          if (!m_updating) specEdited();
        });
        w = spin;
        break;
      }
      case ParamType::Number: {
        auto* edit = new QLineEdit;
        edit->setPlaceholderText(qs(a.placeholder));
        if (!a.label.empty()) edit->setMaximumWidth(80);  // "P = 99.5" beside the combo
        connect(edit, &QLineEdit::editingFinished, this, [this] {
          if (!m_updating) specEdited();
        });
        w = edit;
        break;
      }
      default: {
        auto* c = comboOf(a.choices, qs(a.tip));
        connect(c, &QComboBox::activated, this, [this] {
          if (!m_updating) specEdited();
        });
        w = c;
        break;
      }
    }
    w->setToolTip(qs(a.tip));
    row->addWidget(w, a.type == ParamType::Number && a.label.empty() ? 1 : 0);
    m_args[id] = w;
  }
  updateSpecArgs();
}

// The args of the chosen alternative are shown, the others hidden.
void ParamField::updateSpecArgs() {
  const auto* combo = static_cast<QComboBox*>(m_main);
  const std::string alt = combo->currentData().toString().toStdString();
  std::vector<std::string> shown;
  for (const SpecAlternative& a : m_param.syntax->alternatives)
    if (a.key == alt) shown = a.args;
  for (auto& [id, w] : m_args) {
    const bool on = std::find(shown.begin(), shown.end(), id.toStdString()) != shown.end();
    w->setVisible(on);
    for (QWidget* l : m_argLabels[id]) l->setVisible(on);
  }
}

// Reads the form (the alternative and its shown args) and reports the value it spells.
void ParamField::specEdited() {
  const SpecSyntax& syntax = *m_param.syntax;
  SpecForm form;
  form.alternative = static_cast<QComboBox*>(m_main)->currentData().toString().toStdString();
  for (const SpecArg& a : syntax.args) {
    QWidget* w = m_args.at(qs(a.id));
    if (a.type == ParamType::Int) {
      form.args[a.id] = std::int64_t{static_cast<QSpinBox*>(w)->value()};
    } else if (a.type == ParamType::Number) {
      if (!w->isVisibleTo(this)) {
        form.args[a.id] = a.initial;
        continue;
      }
      QString error;
      auto v = readNumber(static_cast<QLineEdit*>(w)->text(), a.min, a.max, a.minExclusive, qs(a.name), &error);
      if (!v) {
        emit rejected(error);
        return;
      }
      form.args[a.id] = *v;
    } else {
      form.args[a.id] = static_cast<QComboBox*>(w)->currentData().toString().toStdString();
    }
  }
  emit edited(syntax.fromForm(form), false);
}

void ParamField::setValue(const ParamValue& v) {
  const bool was = m_updating;
  m_updating = true;
  switch (m_param.type) {
    case ParamType::Bool: {
      const bool on = std::holds_alternative<bool>(v) && std::get<bool>(v);
      if (auto* c = qobject_cast<QComboBox*>(m_main))
        selectData(c, qs(on ? m_param.trueChoice->key : m_param.falseChoice->key));
      else
        static_cast<QCheckBox*>(m_main)->setChecked(on);
      break;
    }
    case ParamType::Int: {
      const std::int64_t i = std::holds_alternative<std::int64_t>(v) ? std::get<std::int64_t>(v) : 0;
      auto* spin = static_cast<QSpinBox*>(m_main);
      spin->setValue(int(std::clamp<std::int64_t>(i, spin->minimum(), spin->maximum())));
      if (m_slider && !m_slider->isSliderDown()) {
        auto it = std::find(m_param.steps.begin(), m_param.steps.end(), i);
        if (it != m_param.steps.end()) m_slider->setValue(int(it - m_param.steps.begin()));
      }
      break;
    }
    case ParamType::Number: {
      const double d = std::holds_alternative<double>(v) ? std::get<double>(v) : 0.0;
      if (auto* spin = qobject_cast<QDoubleSpinBox*>(m_main)) spin->setValue(d);
      else static_cast<QLineEdit*>(m_main)->setText(shortest(d));
      break;
    }
    case ParamType::Choice:
      if (const auto* s = std::get_if<std::string>(&v)) selectData(static_cast<QComboBox*>(m_main), qs(*s));
      break;
    case ParamType::Spec: {
      const SpecForm form = m_param.syntax->toForm(v);
      selectData(static_cast<QComboBox*>(m_main), qs(form.alternative));
      for (const SpecArg& a : m_param.syntax->args) {
        auto it = form.args.find(a.id);
        const ParamValue& x = it != form.args.end() ? it->second : a.initial;
        QWidget* w = m_args.at(qs(a.id));
        if (a.type == ParamType::Int) {
          if (const auto* i = std::get_if<std::int64_t>(&x)) static_cast<QSpinBox*>(w)->setValue(int(*i));
        } else if (a.type == ParamType::Number) {
          if (const auto* d = std::get_if<double>(&x)) static_cast<QLineEdit*>(w)->setText(shortest(*d));
        } else if (const auto* s = std::get_if<std::string>(&x)) {
          selectData(static_cast<QComboBox*>(w), qs(*s));
        }
      }
      updateSpecArgs();
      break;
    }
    case ParamType::PartOverrides: break;
  }
  m_updating = was;
}

QWidget* ParamField::argWidget(const QString& id) const {
  auto it = m_args.find(id);
  return it == m_args.end() ? nullptr : it->second;
}

void ParamField::setHint(const QString& text) {
  m_hint->setText(text);
  m_hint->setVisible(!text.isEmpty());
}

void ParamField::watchTyping(QAbstractSpinBox* spin, bool integer) {
  auto* line = spin->findChild<QLineEdit*>();
  if (!line) return;
  connect(line, &QLineEdit::textEdited, this, [this](const QString& t) { m_typed = t; });
  connect(spin, &QAbstractSpinBox::editingFinished, this, [this, spin, integer] {
    QString t = m_typed;
    m_typed.clear();
    if (t.isEmpty() || m_updating) return;
    const auto* is = qobject_cast<QSpinBox*>(spin);
    const auto* ds = qobject_cast<QDoubleSpinBox*>(spin);
    const QString prefix = is ? is->prefix() : ds ? ds->prefix() : QString();
    const QString suffix = is ? is->suffix() : ds ? ds->suffix() : QString();
    if (!prefix.isEmpty() && t.startsWith(prefix)) t.remove(0, prefix.size());
    if (!suffix.isEmpty() && t.endsWith(suffix)) t.chop(suffix.size());
    bool ok = false;
    const double v = spin->locale().toDouble(t.trimmed(), &ok);
    if (!ok) return;
    const double lo = is ? is->minimum() : ds ? ds->minimum() : v;
    const double hi = is ? is->maximum() : ds ? ds->maximum() : v;
    if (v >= lo && v <= hi) return;  // in range: valueChanged has passed it on
    // Out of range (bits 0, τ −1, block 0): the core refuses it with its message, shown in red
    // under the field; the spin box itself shows the last valid value again.
    if (integer) emit edited(std::int64_t(std::llround(v)), false);
    else emit edited(v, false);
  });
}

}  // namespace quench::widgets
