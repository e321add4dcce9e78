"""Selectors as data: each adapter's named selectors, grouped by page, each an ordered list of
fallbacks (stable ids / data attributes / roles first, older markup after), and a per-supplier
override a user edits on the supplier's page (JSON) that takes effect on the next session.

An adapter reads a selector as ``self.s.name``: the fallbacks joined into one CSS selector list
(Playwright and BeautifulSoup match any of them), or ``self.s.each("name")`` for the list when the
order matters (the first one present wins). Nothing may be derived from the defaults that an
override would miss: build such things from ``self.s`` (see demo_shop's tracking strainer).
"""

import json

import soupsieve


class Selectors:
    """The defaults of an adapter (``{page: {name: [fallbacks]}}``) with an override
    (``{name: [fallbacks]}``) on top."""

    def __init__(self, defaults: dict[str, dict[str, list[str]]], override: dict | None = None):
        self.defaults = defaults
        self._lists = {name: list(v) for group in defaults.values() for name, v in group.items()}
        for name, fallbacks in (override or {}).items():
            if name in self._lists:  # validated on save; a stale name is ignored, not fatal
                self._lists[name] = [fallbacks] if isinstance(fallbacks, str) else list(fallbacks)
        self.override = dict(override or {})

    def __getattr__(self, name: str) -> str:
        try:
            return ", ".join(self.__dict__["_lists"][name])
        except KeyError:
            raise AttributeError(f"no selector named {name!r}") from None

    def each(self, name: str) -> list[str]:
        return list(self._lists[name])

    def names(self) -> list[str]:
        return list(self._lists)


def validate(defaults: dict, text: str) -> dict:
    """Parse and check an override: a JSON object of known selector names to a non-empty list of
    CSS selectors (or one string). Raises ValueError naming every problem."""
    try:
        data = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(data, dict):
        raise ValueError("the override must be a JSON object of selector name to list")
    known = {name for group in defaults.values() for name in group}
    problems, clean = [], {}
    for name, value in data.items():
        if name not in known:
            problems.append(f"{name}: no such selector")
            continue
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not values:
            problems.append(f"{name}: give a list of one or more CSS selectors")
            continue
        for selector in values:
            if not isinstance(selector, str) or not selector.strip():
                problems.append(f"{name}: an empty selector")
                continue
            try:
                soupsieve.compile(selector)
            except Exception as exc:  # noqa: BLE001 - soupsieve raises several kinds
                problems.append(f"{name}: {selector!r} is not valid CSS ({exc})")
        clean[name] = [v.strip() for v in values if isinstance(v, str) and v.strip()]
    if problems:
        raise ValueError("; ".join(problems))
    return clean
