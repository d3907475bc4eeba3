"""Matching applicants into pairs or circles: a pure module (no Django).

`propose` finds the grouping, `evaluate` scores and explains a group, `violations` lists the
hard rules a group breaks, `greedy` is the baseline the benchmark and tests compare with.
scipy and rustworkx are imported only when a proposal is computed, and numpy (with the
modules that use it) when one of those five functions is first called: the pages that
import this package for its data types (every web worker, through the URL conf) do not
pay for numpy at start-up (bench/startup.py).
"""

from importlib import import_module

from .datatypes import (
    Candidate,
    Component,
    Format,
    Group,
    Proposal,
    Rules,
    TraitRule,
    TraitSpec,
    Unmatched,
    Weights,
)

__all__ = [
    "Candidate",
    "Component",
    "Format",
    "Group",
    "Proposal",
    "Rules",
    "TraitRule",
    "TraitSpec",
    "Unmatched",
    "Weights",
    "evaluate",
    "greedy",
    "propose",
    "violations",
    "warnings",
]

_API = {"evaluate", "greedy", "propose", "violations", "warnings"}


def __getattr__(name):
    # PEP 562: `matching.propose` imports .api (and numpy) on first use.
    if name in _API:
        return getattr(import_module(".api", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
