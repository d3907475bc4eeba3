"""Matching applicants into pairs or circles: a pure module (no Django).

`propose` finds the grouping, `evaluate` scores and explains a group, `violations` lists the
hard rules a group breaks, `greedy` is the baseline the benchmark and tests compare with.
scipy and rustworkx are imported only when a proposal is computed.
"""

from .api import evaluate, greedy, propose, violations, warnings
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
