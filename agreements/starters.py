"""Starter agreement templates, one per kind of program our customers run.

Written in our own words, modelled on the structure and rules of the programs'
handouts (never their sentences). A coordinator picks one on the template builder and
edits it from there; `services.templates.template_from_starter` builds it through the
same checks as the builder's own forms, so a starter can never hold an item the builder
would refuse.

Texts may contain `{help}`: it becomes the program team with the organisation's help
address ("the program team (help@example.org)"), or just "the program team".

Fields carry a `purpose` wherever the rest of peercoach reads them: how often the pair
meets and for how long, how they meet, how often they report progress, each party's
contact details and primary objective.
"""

from dataclasses import dataclass

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from programs.models import Program

from .models import AgreementItem

Kind = AgreementItem.Kind
Purpose = AgreementItem.Purpose


@dataclass(frozen=True)
class Starter:
    key: str
    label: str
    description: str
    title: str
    introduction: str
    items: tuple


def clause(title, body):
    return {"kind": Kind.CLAUSE, "title": title, "body": body}


def field(kind, title, *, help_text="", required=True, per_party=False, choices=(), purpose=""):
    return {
        "kind": kind,
        "title": title,
        "help_text": help_text,
        "required": required,
        "per_party": per_party,
        "choices": list(choices),
        "purpose": purpose,
    }


MEETING_MODES = (_("In person"), "Microsoft Teams", "Zoom", _("Phone"))
CONTACT_METHODS = (_("Email"), _("Phone call"), _("Text message"), _("Chat (Teams, WeChat…)"))


def _contact_fields(*, office_phone=True, best_time=True):
    """Each party's contact details, one per-party field per purpose."""
    fields = [
        field(Kind.SHORT_TEXT, _("Name"), per_party=True, purpose=Purpose.PARTY_NAME),
        field(Kind.SHORT_TEXT, _("Email"), per_party=True, purpose=Purpose.PARTY_EMAIL),
    ]
    if office_phone:
        fields.append(
            field(
                Kind.SHORT_TEXT,
                _("Office phone"),
                per_party=True,
                required=False,
                purpose=Purpose.OFFICE_PHONE,
            )
        )
    fields += [
        field(
            Kind.SHORT_TEXT,
            _("Mobile phone (calls or texts)"),
            per_party=True,
            required=False,
            purpose=Purpose.CELL_PHONE,
        ),
        field(
            Kind.SINGLE_CHOICE,
            _("Best way to reach me"),
            per_party=True,
            choices=CONTACT_METHODS,
            purpose=Purpose.CONTACT_METHOD,
        ),
    ]
    if best_time:
        fields.append(
            field(
                Kind.SHORT_TEXT,
                _("Best time to reach me"),
                help_text=_("For example: weekday mornings, or after 3 pm."),
                per_party=True,
                required=False,
                purpose=Purpose.BEST_TIME,
            )
        )
    return fields


# --- One-way pairs: a coach and a peer (One IT) ------------------------------------------

ONE_WAY = Starter(
    key="one_way",
    label=_("One-way pairs: a coach and a peer"),
    description=_(
        "What the coach and the peer each take on, confidentiality with its legal exception, "
        "meeting at least monthly, the kick-off, and leaving by written notice; then how "
        "the pair meets, contact details and the peer's objective."
    ),
    title=_("Peer coaching agreement"),
    introduction=(
        _(
            "Peer coaching puts a coach alongside a peer who wants to strengthen particular "
            "habits at work or find a way through a difficult situation. The coach does not "
            "fix things for the peer: together they look at what is happening, the peer tries "
            "something new, and both look at what it changed.\n\n"
            "This agreement sets out what each of you takes on. Read it together at your first "
            "meeting, fill in the fields, and sign once you both agree."
        )
    ),
    items=(
        clause(
            _("What the coach takes on"),
            _(
                "As the coach, I will:\n"
                "- help the peer work on the behaviours they have chosen to improve;\n"
                "- listen closely and ask questions, and test the peer's answers so they see "
                "their situation from new angles;\n"
                "- push the peer when it helps, and stay honest, direct and open with them;\n"
                "- offer practical tips and techniques when they may help the peer grow;\n"
                "- keep our conversations on behaviour at work: this is coaching, not therapy;\n"
                "- look out for the peer's best interests."
            ),
        ),
        clause(
            _("What the peer takes on"),
            _(
                "As the peer, I will:\n"
                "- accept the coach's support, and allow them to challenge me on my weak spots "
                "and on the priorities I chose;\n"
                "- look honestly at my situation and talk about it openly;\n"
                "- make my own decisions, try new behaviours between meetings and look at what "
                "they changed;\n"
                "- turn what I realise into concrete improvements at work."
            ),
        ),
        clause(
            _("Confidentiality"),
            _(
                "What either of us says in our sessions stays between us.\n\n"
                "The one exception: information may be passed on when the law or a policy of "
                "our institution requires it. We mention this at our first meeting so that it "
                "never comes as a surprise."
            ),
        ),
        clause(
            _("Meeting regularly"),
            _(
                "- We meet at least once a month for as long as the program runs.\n"
                "- We both attend the program's kick-off."
            ),
        ),
        field(
            Kind.FREQUENCY,
            _("How often we meet"),
            help_text=_("At least once a month."),
            purpose=Purpose.MEETING_FREQUENCY,
        ),
        field(
            Kind.DURATION,
            _("How long a session lasts"),
            help_text=_("For example 60 minutes."),
            purpose=Purpose.MEETING_DURATION,
        ),
        field(
            Kind.SINGLE_CHOICE,
            _("How we meet"),
            choices=MEETING_MODES,
            purpose=Purpose.MODALITY,
        ),
        *_contact_fields(best_time=False),
        field(
            Kind.LONG_TEXT,
            _("What I want to get from this partnership"),
            help_text=_(
                "The peer: the behaviours you want to improve. The coach: what you "
                "hope to learn as a coach."
            ),
            per_party=True,
            purpose=Purpose.PRIMARY_OBJECTIVE,
        ),
        clause(
            _("Leaving the program"),
            _(
                "Either of us may end this arrangement at any time by sending a written notice "
                "to {help}. Nobody has to argue a reason."
            ),
        ),
    ),
)

# --- PeerSphere: a fillable agreement of fifteen points ----------------------------------

PEERSPHERE = Starter(
    key="peersphere",
    label=_("Pairs across communities: a fillable agreement covering fifteen topics"),
    description=_(
        "Confidentiality, how often, how long, how and where you meet, cancelling, both "
        "parties' contact details, progress reports, the end date and debrief, each "
        "party's objective, a social contract, opting out, advice that is off limits, "
        "and the duty to report."
    ),
    title=_("Coaching partnership agreement"),
    introduction=(
        _(
            "We are starting a coaching partnership of our own free will, and we expect both "
            "of us to gain from it. So that our time goes into real development rather than "
            "arrangements and misunderstandings, we settle the points below together."
        )
    ),
    items=(
        field(
            Kind.LONG_TEXT,
            _("Confidentiality"),
            help_text=_("Agree what stays between the two of you, and what does not."),
        ),
        field(
            Kind.FREQUENCY,
            _("How often we meet"),
            purpose=Purpose.MEETING_FREQUENCY,
        ),
        field(
            Kind.DURATION,
            _("How long a meeting lasts"),
            help_text=_("For example 45 minutes, or 1:00."),
            purpose=Purpose.MEETING_DURATION,
        ),
        field(
            Kind.SINGLE_CHOICE,
            _("Type of meeting"),
            choices=("Microsoft Teams", "WeChat", "Zoom", _("In person"), _("Phone")),
            purpose=Purpose.MODALITY,
        ),
        field(
            Kind.SHORT_TEXT,
            _("Where we meet"),
            help_text=_("For example a quiet private room, with phones and email put away."),
        ),
        field(
            Kind.LONG_TEXT,
            _("If one of us has to cancel"),
            help_text=_("How much notice, how you let each other know, and how you rebook."),
        ),
        *_contact_fields(),
        field(
            Kind.FREQUENCY,
            _("How often we review our progress"),
            help_text=_(
                "A check on whether the partnership works for both of you and what "
                "should change. Once a month is a good rhythm."
            ),
            purpose=Purpose.REPORTING_FREQUENCY,
        ),
        clause(
            _("End of the program and the debrief"),
            _(
                "Our partnership runs until the program's closing debrief, where all the pairs "
                "meet to share what they experienced and to suggest how the program could "
                "improve for next year. The date is on the program's events.\n\n"
                "If we both want to, we may carry on meeting after the program ends."
            ),
        ),
        field(
            Kind.DATE,
            _("Our partnership ends on"),
            help_text=_("The date of the program's closing debrief."),
        ),
        field(
            Kind.LONG_TEXT,
            _("My primary objective"),
            help_text=_("What do you want to get from this partnership?"),
            per_party=True,
            purpose=Purpose.PRIMARY_OBJECTIVE,
        ),
        field(
            Kind.BULLET_LIST,
            _("Our social contract"),
            help_text=_(
                "The habits and professional norms you both commit to, one per line. "
                "For example: we come prepared; we do what we said we would; we start every "
                "meeting ready to work together constructively."
            ),
        ),
        clause(
            _("Opting out"),
            _(
                "We are responsible for each other's wellbeing and for making this partnership "
                "worth our time. If either of us can no longer meet what the program asks, or "
                "cannot continue, we tell each other straight away and we let {help} know "
                "that we are leaving the program."
            ),
        ),
        clause(
            _("Advice that is off limits"),
            _(
                "Our conversations stay on the professional work we share. Neither of us gives "
                "the other medical, mental-health, legal, financial, religious or marital "
                "advice; when such a need comes up, we suggest a qualified professional."
            ),
        ),
        clause(
            _("Duty to report"),
            _(
                "Each of us reports any suspicion of child abuse or neglect, whether recent or "
                "in the past, and any other concern for the other's health or safety.\n\n"
                "Questions about what or how to report go to {help}."
            ),
        ),
    ),
)

# --- Reciprocal pairs: partners coach each other in turn (ATC) ---------------------------

RECIPROCAL = Starter(
    key="reciprocal",
    label=_("Reciprocal pairs: partners coach each other in turn"),
    description=_(
        "At least 45 minutes of coaching each way with the roles switched out loud, "
        "meeting every two weeks or at least monthly, a first-session checklist, feedback "
        "at the end of each session, and ending early when it does not work."
    ),
    title=_("Reciprocal coaching agreement"),
    introduction=(
        _(
            "In this partnership each of us is, in turn, the coach and the person being "
            "coached. The points below are what we settle at our first session; the fields "
            "record what we decided."
        )
    ),
    items=(
        clause(
            _("Coaching each other"),
            _(
                "- Each of us receives at least 45 minutes of coaching: we hold both halves "
                "back to back, or at two different times.\n"
                "- We say it out loud when we switch roles. One of us coaches while the other "
                "is coached, then we swap: it is coaching, not just a conversation.\n"
                "- We meet somewhere quiet and private, free from interruptions, so that "
                "either of us can talk about anything."
            ),
        ),
        field(
            Kind.FREQUENCY,
            _("How often we meet"),
            help_text=_("Every two weeks works best; at least once a month."),
            purpose=Purpose.MEETING_FREQUENCY,
        ),
        field(
            Kind.DURATION,
            _("How long a meeting lasts"),
            help_text=_(
                "At least 45 minutes for each of you: 1:30 when you coach each other "
                "in the same meeting."
            ),
            purpose=Purpose.MEETING_DURATION,
        ),
        field(
            Kind.SINGLE_CHOICE,
            _("How we meet"),
            choices=(_("Phone"), _("Video call"), _("In person")),
            purpose=Purpose.MODALITY,
        ),
        clause(
            _("Our first session"),
            _(
                "Before we finish our first session we will have:\n"
                "- talked through confidentiality: what it means to each of us, rather than "
                "taking it for granted;\n"
                "- shared what we each hope to get from the partnership, and what does and "
                "does not work for us when we are coached;\n"
                "- agreed the practical side: how often, when and how we meet;\n"
                "- booked several sessions ahead, because finding dates later is where most "
                "partnerships stall;\n"
                "- named the goals each of us wants to work on."
            ),
        ),
        field(
            Kind.LONG_TEXT,
            _("What confidentiality means to us"),
            help_text=_("What you agreed at the first session."),
        ),
        field(
            Kind.DATE,
            _("Our next session"),
            help_text=_("Book several ahead; this is the first one."),
            required=False,
        ),
        *_contact_fields(office_phone=False, best_time=False),
        field(
            Kind.LONG_TEXT,
            _("The goals I want to work on"),
            help_text=_("What do you hope to get out of coaching this term?"),
            per_party=True,
            purpose=Purpose.PRIMARY_OBJECTIVE,
        ),
        field(
            Kind.LONG_TEXT,
            _("What helps me when I am coached"),
            per_party=True,
            required=False,
        ),
        clause(
            _("Preparing and reflecting"),
            _(
                "- Before each session, whoever is coached thinks about its purpose, the outcome "
                "they want and how to use the time.\n"
                "- At the end, the person coached tells the coach what helped most and what "
                "helped less, and the coach reflects on what worked and what to try next time."
            ),
        ),
        clause(
            _("If it is not working"),
            _(
                "If the partnership is not giving either of us what we need, we say so openly "
                "and try to fix it. If it still does not work, we end it early, keep what we "
                "learned, and ask {help} for a new partner."
            ),
        ),
    ),
)

# --- Circles: a group with equal time for every member (The Power of Peer Coaching) ------

CIRCLE = Starter(
    key="circle",
    label=_("Circles: a group with equal time for every member"),
    description=_(
        "The circle's working agreements (confidentiality, everyone teaches and learns), "
        "monthly meetings of two and a half hours over six months with an equal slot for "
        "each member, and each member's challenge and plan."
    ),
    title=_("Our circle's working agreement"),
    introduction=(
        _(
            "Our circle is a small group of peers who coach one another. Each of us brings a "
            "challenge of our own choosing and gets the same share of every meeting to work "
            "on it, with the others' questions, perspectives and support."
        )
    ),
    items=(
        clause(
            _("How we work together"),
            _(
                "- Confidentiality: what a member shares stays inside the circle.\n"
                "- Each of us is both a teacher and a learner.\n"
                "- We coach rather than advise: we stay present, offer other perspectives and "
                "ask questions that open up new options.\n"
                "- We trust each member to find their own way through their challenge.\n"
                "- We give each other honest, constructive feedback, hold each other to what "
                "we said we would do, and celebrate results."
            ),
        ),
        clause(
            _("Our meetings"),
            _(
                "- We meet once a month for two and a half hours, over six months.\n"
                "- Every member gets an equal time slot at every meeting.\n"
                "- We agree at the first meeting how a slot runs, and keep to it."
            ),
        ),
        field(
            Kind.FREQUENCY,
            _("How often we meet"),
            help_text=_("Once a month."),
            purpose=Purpose.MEETING_FREQUENCY,
        ),
        field(
            Kind.DURATION,
            _("How long a meeting lasts"),
            help_text=_("Two and a half hours: enter 2:30."),
            purpose=Purpose.MEETING_DURATION,
        ),
        field(
            Kind.SINGLE_CHOICE,
            _("How we meet"),
            choices=MEETING_MODES,
            purpose=Purpose.MODALITY,
        ),
        field(
            Kind.SHORT_TEXT,
            _("Where we meet"),
            help_text=_("A room or a meeting link."),
            required=False,
        ),
        field(Kind.SHORT_TEXT, _("Name"), per_party=True, purpose=Purpose.PARTY_NAME),
        field(
            Kind.LONG_TEXT,
            _("My challenge"),
            help_text=_("The challenge you bring to the circle, in a sentence or two."),
            per_party=True,
            purpose=Purpose.PRIMARY_OBJECTIVE,
        ),
        field(
            Kind.LONG_TEXT,
            _("My development plan: goal and timeline"),
            help_text=_(
                "Where you want to be at the end of the six months, and the steps on the way."
            ),
            per_party=True,
            required=False,
        ),
    ),
)

STARTERS = {starter.key: starter for starter in (ONE_WAY, PEERSPHERE, RECIPROCAL, CIRCLE)}


def starter_choices():
    return [(starter.key, starter.label) for starter in STARTERS.values()]


def starter_for_program(program):
    """The key of the starter that suits `program` best: by format, and the fifteen-point
    agreement for pairs that must come from different communities."""
    if program.format == Program.Format.ONE_WAY:
        return ONE_WAY.key
    if program.format == Program.Format.CIRCLE:
        return CIRCLE.key
    if program.cross_community:
        return PEERSPHERE.key
    return RECIPROCAL.key


def help_contact(organization):
    """What `{help}` in a starter's text becomes for `organization`."""
    email = (getattr(organization, "help_email", "") or "").strip()
    if email:
        return gettext("the program team (%(email)s)") % {"email": email}
    return gettext("the program team")
