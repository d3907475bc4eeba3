"""Demo agreements: each demo program's template from its starter, and an agreement for
every pair or circle the demo already published.

Goes through the services a coordinator's clicks use (`template_from_starter`,
`agreements_start_missing`). Idempotent: a program whose template already has items is
left as it is (a coordinator may have edited it), and pairs that have an agreement get
no second one. Nothing is signed here.
"""

from dataclasses import dataclass

from programs.models import Program

from .models import AgreementItem
from .services.agreements import agreements_start_missing
from .services.templates import template_from_starter
from .services.versions import template_current
from .starters import starter_for_program

# The starter modelled on each demo organisation's handout. WIT's handout has no
# agreement of its own: its reciprocal pairs get the reciprocal starter.
DEMO_STARTERS = {
    "one-it": "one_way",
    "wit": "reciprocal",
    "peersphere": "peersphere",
    "atc": "reciprocal",
    "power-circles": "circle",
}


@dataclass
class DemoAgreements:
    program: Program
    starter: str
    template_created: bool
    agreements_started: int


def agreements_demo_load(*, programs):
    """Give each of `programs` its starter template (when its template has no items) and
    agreements for its active pairs without one. Runs inside the caller's transaction
    with scopes disabled. Returns a DemoAgreements per program."""
    loaded = []
    for program in programs:
        starter = DEMO_STARTERS.get(program.organization.slug) or starter_for_program(program)
        template = template_current(program)
        empty = (
            template is None
            or not AgreementItem.objects.filter(
                organization=program.organization, template=template
            ).exists()
        )
        if empty:
            template_from_starter(program=program, starter_key=starter, user=None)
        started = agreements_start_missing(program=program)
        loaded.append(
            DemoAgreements(
                program=program,
                starter=starter,
                template_created=empty,
                agreements_started=started,
            )
        )
    return loaded
