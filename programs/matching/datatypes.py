"""The values the matcher takes and returns: plain frozen dataclasses, no Django."""

from dataclasses import dataclass, field
from typing import Literal

Format = Literal["one_way", "reciprocal", "circle"]
TraitRule = Literal["similar", "different", "avoid_both_extreme"]
PreferredRole = Literal["coach", "coachee", "both"]

COMPONENT_LABELS = {
    "traits": "Work-personality traits",
    "goals": "Goals and strengths",
    "roles": "Role preferences",
    "preferences": "Meeting preferences",
    "seniority": "Seniority",
}
COMPONENT_KEYS = tuple(COMPONENT_LABELS)

CIRCLE_MIN = 3
CIRCLE_MAX = 8


@dataclass(frozen=True)
class TraitSpec:
    """One work-personality question and how two answers to it should relate.

    For `kind="scale"` the values run from `low` to `high`; for `kind="choice"` they are
    option indices 0..last, where last is `len(options) - 1` (or `high` without options).
    """

    key: str
    label: str
    rule: TraitRule
    kind: Literal["scale", "choice"] = "scale"
    low: int = 1
    high: int = 5
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Candidate:
    """One applicant as the matcher sees them. `id` must be unique within a call."""

    id: int
    name: str = ""
    group: str = ""
    community: str = ""
    role_level: int | None = None
    role_level_label: str = ""
    preferred_role: PreferredRole = "both"
    traits: dict[str, int] = field(default_factory=dict)
    priorities: frozenset[str] = frozenset()
    strengths: frozenset[str] = frozenset()
    modalities: frozenset[str] = frozenset()
    times: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Weights:
    """Coordinator-set weights, integers 0..10; a component is worth weight * 10 points."""

    traits: int = 5
    goals: int = 5
    roles: int = 3
    preferences: int = 2
    seniority: int = 2


@dataclass(frozen=True)
class Rules:
    """The program's hard rules and scoring settings.

    `role_levels` is the length of the program's ordered role-level list. It fixes the
    seniority scale; set it so that `evaluate()` on a hand-edited group scores exactly as
    `propose()` did. 0 means "infer it from the candidates given" (highest rank + 1), which
    for `evaluate()` means from the group's own members.
    """

    format: Format
    different_group: bool = False
    cross_community: bool = False
    forbidden: frozenset[frozenset[int]] = frozenset()
    seniority: Literal["similar", "different"] = "similar"
    weights: Weights = Weights()
    traits: tuple[TraitSpec, ...] = ()
    circle_size: int = 5
    role_levels: int = 0
    # The components the application form asked about; None: all of them. A component
    # whose questions were never asked is worth nothing, so nobody loses points for it.
    asked: frozenset[str] | None = None
    # "Avoid two people at the same extreme" is a hard rule: kept whenever that leaves
    # nobody waiting who could otherwise be paired, and broken only then (flagged).
    avoid_extremes_hard: bool = True

    def counts(self, key: str) -> bool:
        return self.asked is None or key in self.asked


@dataclass(frozen=True)
class Component:
    """One part of a group's score, with a sentence saying why it scored so."""

    key: str
    label: str
    points: int
    max_points: int
    text: str


@dataclass(frozen=True)
class Group:
    """A proposed pair or circle; `score == sum(c.points for c in components)`.

    one_way: `members == (coach_id, coachee_id)`; reciprocal and circle: sorted ids.
    """

    members: tuple[int, ...]
    score: int
    components: tuple[Component, ...]
    # Plain sentences about a rule this group breaks because nothing better existed.
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unmatched:
    id: int
    reason: str


@dataclass(frozen=True)
class Proposal:
    """Every candidate is in exactly one group or in `unmatched`."""

    groups: tuple[Group, ...]
    unmatched: tuple[Unmatched, ...]
    total_score: int
    method: str
