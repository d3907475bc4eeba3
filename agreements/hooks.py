"""What agreements do when something happens to a pair in `programs` (`settings.HOOKS`).

Each hook runs inside the caller's transaction; see `peercoach.hooks`."""

from django.utils.translation import gettext as _

from .selectors.templates import agreement_readiness
from .services.amend import agreements_on_match_end
from .services.create import agreements_create_for_matches


def match_published(*, program, matches):
    """Each pair or circle just published gets its agreement from the program's current
    template (nothing when the template has no items). Returns the number created."""
    return agreements_create_for_matches(program=program, matches=matches)


def match_ended(*, match, ended_by):
    """An amendment still being prepared for the ended pair is withdrawn; the signed
    agreement stays the record."""
    agreements_on_match_end(match=match)


def publish_readiness(*, program):
    """What the pairing page warns after pairs were published: [message], empty when
    publishing gave them an agreement. The confirm step warned before, but nothing stopped
    it, so it is said again after the fact. Three queries."""
    if agreement_readiness(program=program).has_items:
        return []
    return [
        _(
            "They have no coaching agreement yet, because the program has none. Pick a "
            "starter under Coaching agreement on the program page, then start their "
            "agreements there."
        )
    ]
