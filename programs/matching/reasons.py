"""Why someone is left out, and which hard rules a hand-made group breaks, in plain words."""

from itertools import combinations

import numpy as np

from .datatypes import CIRCLE_MAX, CIRCLE_MIN, Candidate, Rules
from .explain import display_name, listing
from .scoring import COACH, COACHEE, ROLE_CODES, Pool

ODD_ONE_OUT = (
    "Odd one out: {each} possible partner{s} {was} matched with someone else.{why} You can "
    "add them to a pair to make a trio, pair them by hand, or wait-list them."
)
SURPLUS = {
    "coach": " More applicants want only to coach than can be coached.",
    "coachee": " More applicants want only to be coached than can coach.",
}
NOT_PLACED = (
    "Could not be placed: every circle with room has someone they may not be with "
    "(same group or community, or a previous partner).{hint} You can add them to a circle "
    "by hand, or wait-list them."
)
CROSS_COMMUNITY_HINT = (
    " Under the cross-community rule every member of a circle must come from a different community."
)
TOO_FEW_FOR_CIRCLE = "Too few people for a circle: at least 3 are needed."


def not_placed(rules: Rules) -> str:
    return NOT_PLACED.format(hint=CROSS_COMMUNITY_HINT if rules.cross_community else "")


def odd_one_out(feasible_partners: int, role: str | None = None) -> str:
    """Left over although someone was allowed; `role` (one_way) names a surplus side."""
    k = feasible_partners
    each = "their only" if k == 1 else f"each of their {k}"
    return ODD_ONE_OUT.format(
        each=each, s="" if k == 1 else "s", was="was", why=SURPLUS.get(role, "")
    )


def no_partner(pool: Pool, u: int) -> str:
    """Which rules exclude everyone else; each other person is counted under one rule."""
    n, person = pool.n, pool.candidates[u]
    if n == 1:
        return "No possible partner: no one else is in the pool."
    everyone = np.arange(n)
    rules = pool.rules
    counted = everyone == u
    checks = []
    if rules.different_group and person.group:
        same = pool.group == pool.group[u]
        checks.append((same, "{k} {are} in the same group (" + person.group + ")"))
    if rules.cross_community and person.community:
        same = pool.community == pool.community[u]
        checks.append((same, "{k} {are} in the same community (" + person.community + ")"))
    if rules.format == "one_way" and person.preferred_role != "both":
        code = ROLE_CODES[person.preferred_role]
        what = "to coach" if code == COACH else "to be coached"
        checks.append((pool.role == code, "{k} also only {want} " + what))
    if pool.forbidden_codes.size:
        forbidden = pool.forbidden(np.full(n, u), everyone)
        kept_apart = "a previous partner, marked never together or taken apart by hand"
        checks.append((forbidden, "{k} {were} " + kept_apart))
    parts = []
    for mask, text in checks:
        new = mask & ~counted
        k = int(new.sum())
        if k:
            words = {"were": "was", "are": "is", "want": "wants"} if k == 1 else {}
            parts.append(
                text.format(k=k, **({"were": "were", "are": "are", "want": "want"} | words))
            )
            counted |= new
    if not parts:
        return "No possible partner under the program's rules."
    if n == 2:
        return f"No possible partner: the only other person {parts[0].removeprefix('1 ')}."
    return f"No possible partner: of the {n - 1} others, {listing(parts, 5)}."


def violations(members: list[Candidate], rules: Rules) -> list[str]:
    """Each hard rule the group breaks, as a sentence; [] when the group is allowed."""
    problems = []
    ids = [m.id for m in members]
    if len(set(ids)) != len(ids):
        problems.append("Someone appears in the group twice.")
    if len(members) < 2:
        problems.append("A group needs at least two people.")
    if rules.format == "circle" and not CIRCLE_MIN <= len(members) <= CIRCLE_MAX:
        problems.append(f"A circle needs {CIRCLE_MIN} to {CIRCLE_MAX} members.")
    forbidden = {frozenset(p) for p in rules.forbidden}
    for a, b in combinations(members, 2):
        names = f"{display_name(a)} and {display_name(b)}"
        if rules.different_group and a.group and a.group == b.group:
            problems.append(
                f"{names} are both in {a.group}; partners must come from different groups."
            )
        if rules.cross_community and a.community and a.community == b.community:
            problems.append(
                f"{names} are both in the {a.community} community; "
                "partners must come from different communities."
            )
        if frozenset((a.id, b.id)) in forbidden:
            problems.append(f"{names} were partners before or are marked never together.")
    if rules.format == "one_way" and len(members) == 2:
        coach, coachee = members
        if ROLE_CODES[coach.preferred_role] == COACHEE:
            problems.append(f"{display_name(coach)} prefers to be coached, not to coach.")
        if ROLE_CODES[coachee.preferred_role] == COACH:
            problems.append(f"{display_name(coachee)} prefers to coach, not to be coached.")
    return problems
