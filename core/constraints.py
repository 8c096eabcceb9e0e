"""The parameter vocabulary: each parameter set declares its fields once, as a table of ``Param``.

In the style of scikit-learn's ``utils/_param_validation.py``, a field's rule is an
:class:`Interval`, :class:`Options` or :class:`Boolean` (or a tuple of them: any one may hold).
The same table then

- validates values, with one plain message per kind of rule:
  ``{name} must be {what}, got {value}`` (``{name} {value} is unknown: ...`` for options);
- parses text from links and the command line (``parse``), typed by the rule, and writes it
  back (``text``);
- gives widgets their bounds, step, choices and help (``widget_hints``);
- generates invalid values for tests (``invalid_values``).

Rules that tie several fields together (``fmax`` below Nyquist...) stay explicit checks next to
their dataclass.

Examples
--------
>>> table = {"n_mels": Param(Interval(int, 1, None), widget=(8, 256))}
>>> validate_fields(table, {"n_mels": 64.0})
{'n_mels': 64}
>>> parse_fields(table, {"n_mels": "0"})
Traceback (most recent call last):
...
core.errors.ParamsError: n_mels must be at least 1, got 0.
>>> beyond_widgets(table, {"n_mels": 512})
['n_mels']
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.errors import ParamsError

_NONE = "none"


class _Mismatch(Exception):
    """A value breaks a rule; ``what`` says what the rule wanted."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class Interval:
    """Numbers of one ``kind`` (``int`` or ``float``) between ``low`` and ``high`` (``None``:
    unbounded); ``closed`` is ``"both"``, ``"left"``, ``"right"`` or ``"neither"``; ``unit``
    is the word after a bound in messages (``Hz``, ``samples``).

    >>> Interval(float, 0, 1, closed="left").describe()
    'in [0, 1)'
    >>> Interval(int, 16, None, unit="samples").describe()
    'at least 16 samples'
    """

    kind: type
    low: float | None
    high: float | None
    closed: str = "both"
    unit: str = ""

    def _closed(self, side: str) -> bool:
        return self.closed in ("both", side)

    def describe(self, noun: bool = False) -> str:
        """What the rule wants, e.g. ``at least 1``; ``noun``: as a noun (``a positive number``)."""
        u = f" {self.unit}" if self.unit else ""
        lo, hi = self.low, self.high
        if lo is not None and hi is not None:
            left = "[" if self._closed("left") else "("
            right = "]" if self._closed("right") else ")"
            return f"in {left}{_number(lo)}, {_number(hi)}{right}{u}"
        if lo is not None:
            if lo == 0 and not self._closed("left"):
                if self.unit:
                    return f"a positive number of {self.unit}"
                return "a positive number" if noun else "positive"
            if lo == 0:
                return f"0{u} or more"
            return f"{'at least' if self._closed('left') else 'above'} {_number(lo)}{u}"
        if hi is not None:
            return f"{'at most' if self._closed('right') else 'below'} {_number(hi)}{u}"
        return "a whole number" if self.kind is int else "a number"

    def check(self, value: Any) -> Any:
        """``value`` as this kind (30.0 -> 30 for ints), or _Mismatch."""
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
            raise _Mismatch("a whole number" if self.kind is int else "a number")
        if not math.isfinite(float(value)):
            raise _Mismatch("a finite number")
        if self.kind is int:
            if float(value) != int(value):
                raise _Mismatch("a whole number")
            value = int(value)
        else:
            value = float(value)
        if self.low is not None and not (
            value >= self.low if self._closed("left") else value > self.low
        ):
            raise _Mismatch(self.describe())
        if self.high is not None and not (
            value <= self.high if self._closed("right") else value < self.high
        ):
            raise _Mismatch(self.describe())
        return value

    def parse(self, text: str) -> Any:
        for kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                continue
        raise _Mismatch("a whole number" if self.kind is int else "a number")

    def invalid(self) -> list[Any]:
        """Values this rule refuses: beyond each bound, text, a non-finite number..."""
        step = 1 if self.kind is int else 0.5
        out: list[Any] = ["text", float("nan") if self.kind is float else 1.5]
        if self.low is not None:
            out.append(self.low if not self._closed("left") else self.kind(self.low - step))
        if self.high is not None:
            out.append(self.high if not self._closed("right") else self.kind(self.high + step))
        return out


@dataclass(frozen=True)
class Options:
    """One of a fixed tuple of values (``None`` may be one of them, as in ``(None, "kaggle")``).

    >>> Options(("constant", "reflect")).describe()
    "'constant' or 'reflect'"
    """

    options: tuple[Any, ...]

    def describe(self, noun: bool = False) -> str:
        names = [repr(o) for o in self.options]
        if len(names) <= 2:
            return " or ".join(names)
        return "one of " + ", ".join(names)

    def check(self, value: Any) -> Any:
        if isinstance(value, str) and value in self.options:
            return value
        if value is None and None in self.options:
            return None
        raise _Mismatch(self.describe())

    def parse(self, text: str) -> Any:
        for option in self.options:
            if text == (_NONE if option is None else str(option)):
                return option
        raise _Mismatch(self.describe())

    def invalid(self) -> list[Any]:
        return ["not-an-option", 3]


@dataclass(frozen=True)
class Boolean:
    """``True`` or ``False`` (``true``/``false`` as text)."""

    def describe(self, noun: bool = False) -> str:
        return "true or false"

    def check(self, value: Any) -> Any:
        if not isinstance(value, (bool, np.bool_)):
            raise _Mismatch(self.describe())
        return bool(value)

    def parse(self, text: str) -> Any:
        lowered = text.strip().lower()
        if lowered not in ("true", "false"):
            raise _Mismatch(self.describe())
        return lowered == "true"

    def invalid(self) -> list[Any]:
        return ["yes", 1]


Rule = Interval | Options | Boolean


@dataclass(frozen=True)
class Param:
    """One field: its ``rule`` (or a tuple of rules, any of which may hold); ``none``: what
    ``None`` means when the field allows it; ``many``: a non-empty list of values each following
    the rule; and for widgets: ``widget`` (low, high) or ``choices`` offered, ``step``, ``help``.
    """

    rule: Rule | tuple[Rule, ...]
    none: str | None = None
    many: bool = False
    widget: tuple[float, float] | None = None
    choices: tuple[Any, ...] | None = None
    step: float | None = None
    help: str = ""

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self.rule if isinstance(self.rule, tuple) else (self.rule,)

    def describe(self) -> str:
        """What the field accepts, e.g. ``a positive number of seconds (or None for ...)``."""
        rules = self.rules
        what = " or ".join(r.describe(noun=len(rules) > 1) for r in rules)
        if self.many:
            what = f"a list of at least one value, each {what}"
        return what + (f" (or None for {self.none})" if self.none else "")

    def validate(self, name: str, value: Any) -> Any:
        """``value`` normalised (ints for int fields, floats for float fields...); ParamsError
        naming the field when the rule refuses it."""
        if value is None and self.none is not None:
            return None
        if self.many:
            if not isinstance(value, (list, tuple)) or not value:
                raise ParamsError(f"{name} must be {self.describe()}, got {_show(value)}.")
            return [self._one(name, v) for v in value]
        return self._one(name, value)

    def _one(self, name: str, value: Any) -> Any:
        misses = []
        for rule in self.rules:
            try:
                return rule.check(value)
            except _Mismatch as miss:
                misses.append(miss.what)
        what = self.describe()
        if isinstance(self.rule, Options):
            raise ParamsError(f"{name} {_show(value)} is unknown: {name} must be {what}.")
        if len(misses) == 1:  # the one rule says what was wrong: a type, or a bound
            what = misses[0] + (f" (or None for {self.none})" if self.none else "")
        raise ParamsError(f"{name} must be {what}, got {_show(value)}.")

    def parse(self, name: str, text: str) -> Any:
        """A value from its text (``none``, ``true``, ``8000``, ``16,32`` for lists), checked.

        >>> Param(Interval(float, 0, None, unit="Hz"), none="Nyquist").parse("fmax", "none")
        >>> Param(Boolean()).parse("db", "false")
        False
        """
        text = text.strip()
        if text.lower() == _NONE and self.none is not None:
            return None
        parts = text.split(",") if self.many else [text]
        values = [self._parse_one(part.strip()) for part in parts]
        return self.validate(name, values if self.many else values[0])

    def _parse_one(self, text: str) -> Any:
        for rule in self.rules:
            try:
                return rule.parse(text)
            except _Mismatch:
                continue
        return text  # validate() names what was wanted

    def text(self, value: Any) -> str:
        """``value`` as text that :meth:`parse` reads back: ``none``, ``true``, ``8000``..."""
        if value is None:
            return _NONE
        if self.many:
            return ",".join(_text(v) for v in value)
        return _text(value)

    def offered(self, value: Any) -> bool:
        """Whether ``value`` lies within what the widgets offer (None always does)."""
        if self.choices is not None:
            return value in self.choices
        if value is None or self.widget is None:
            return True
        return self.widget[0] <= value <= self.widget[1]

    def widget_hints(self) -> dict[str, Any]:
        """Keyword arguments for a Streamlit number input or slider (``min_value``, ``max_value``,
        ``step``, ``help``; the bounds are ``widget``'s, else the rule's), or for a select box
        (``options``, ``help``)."""
        hints: dict[str, Any] = {"help": self.help or None}
        first = self.rules[0]
        if self.choices is not None or isinstance(first, Options):
            hints["options"] = list(self.choices or first.options)
            return hints
        bounds = self.widget
        if bounds is None and isinstance(first, Interval) and None not in (first.low, first.high):
            bounds = (first.low, first.high)
        if bounds is not None:
            kind = first.kind if isinstance(first, Interval) else float
            hints["min_value"], hints["max_value"] = (kind(b) for b in bounds)
        if self.step is not None:
            hints["step"] = self.step
        return hints

    def invalid_values(self) -> list[Any]:
        """Values :meth:`validate` refuses (for generated tests)."""
        rules = self.rules
        if len(rules) > 1:  # a union: only what every rule refuses
            return [v for v in ("not-an-option", -1.0) if not self._accepts(v)]
        out = [v for v in [*rules[0].invalid(), None] if not self._accepts(v)]
        if self.many:
            out = [[], *([v] for v in out if v is not None), None]
        return out

    def _accepts(self, value: Any) -> bool:
        try:
            self.validate("_", value)
        except ParamsError:
            return False
        return True


#: A parameter set's table: field name -> Param.
Table = Mapping[str, Param]


def validate_fields(table: Table, values: Mapping[str, Any]) -> dict[str, Any]:
    """Every field of ``values`` named in ``table``, validated and normalised (the first bad
    one raises ParamsError)."""
    return {name: param.validate(name, values[name]) for name, param in table.items()}


def parse_fields(table: Table, texts: Mapping[str, str]) -> dict[str, Any]:
    """Typed values from text (a link's or the command line's), each checked by its rule;
    ParamsError for a name not in ``table``."""
    unknown = sorted(set(texts) - set(table))
    if unknown:
        raise ParamsError(f"unknown parameter(s): {', '.join(unknown)}")
    return {name: table[name].parse(name, text) for name, text in texts.items()}


def beyond_widgets(table: Table, values: Mapping[str, Any]) -> list[str]:
    """The fields whose value lies outside what the widgets offer."""
    return [name for name, param in table.items() if not param.offered(values[name])]
