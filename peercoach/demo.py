"""Demo data for the five seed programs, and one Spanish-speaking organisation (README
command one).

Idempotent: running it again refreshes the same rows and creates nothing twice.
This module makes the organisations and the people; the apps add their programs, pairs,
agreements, sessions and surveys through the loaders listed in settings.DEMO_LOADERS,
called in that order as `loader(*, organizations)`. Each loader is idempotent, runs in
this transaction with scopes disabled, and returns {organisation id: [lines]}: what the
demo command prints under that organisation. Texts are our own, modelled on the
programs' handouts.
"""

from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.module_loading import import_string
from django_scopes import scopes_disabled

from peercoach.accounts.models import User
from peercoach.tenancy.models import Membership, Organization

DEMO_PASSWORD = "peercoach-demo"  # noqa: S105 - printed on purpose for the demo
ADMIN_EMAIL = "admin@example.org"
MULTI_EMAIL = "alex.rivera@example.org"
PARTICIPANTS_PER_ORG = 20

ORGANIZATIONS = [
    {
        "slug": "one-it",
        "name": "One IT",
        "time_zone": "America/New_York",
        "brand_colour": "#0b3d6b",
        "policy_text": (
            "What you discuss with your peer coach stays between the two of you, unless the "
            "law or a university policy requires it to be reported.\n\n"
            "Either of you may leave the program at any time by telling the program team "
            "in writing."
        ),
    },
    {
        "slug": "wit",
        "name": "WIT Peer Mentoring Group",
        "time_zone": "America/Chicago",
        "brand_colour": "#6a1b9a",
        "policy_text": (
            "Partners come from different groups, so neither has a stake in the other's answers. "
            "The whole group meets three times a semester; pairs choose how often they meet."
        ),
    },
    {
        "slug": "peersphere",
        "name": "PeerSphere",
        "time_zone": "Asia/Shanghai",
        "brand_colour": "#00695c",
        "policy_text": (
            "PeerSphere pairs a member of one community with a member of another. Coaches do not "
            "give medical, mental-health, legal, financial, religious or marital advice, and raise "
            "any situation that must be reported with the program team."
        ),
    },
    {
        "slug": "atc",
        "name": "ATC Peer Coaching",
        "time_zone": "Europe/London",
        "brand_colour": "#8a3b12",
        "policy_text": (
            "Partners coach each other: each receives at least 45 minutes of coaching, with the "
            "roles switched explicitly. If a partnership is not working, end it early and ask for "
            "a new partner."
        ),
    },
    {
        "slug": "power-circles",
        "name": "Power of Peer Coaching Circles",
        "time_zone": "Australia/Sydney",
        "brand_colour": "#1b5e20",
        "policy_text": (
            "Circles meet monthly for two and a half hours over six months. Everyone brings a "
            "challenge and gets the same share of the time; everyone is both teacher and learner."
        ),
    },
    # Not a seed program: an organisation whose members read peercoach in Spanish (its
    # default language), with its own Spanish-speaking people and a smaller cohort.
    {
        "slug": "tres-rios",
        "name": "Universidad Tres Ríos",
        "time_zone": "America/Bogota",
        "brand_colour": "#7a1f2b",
        "default_language": "es",
        "policy_text": (
            "Lo que conversas con tu pareja de coaching queda entre ustedes dos, salvo que la "
            "ley o un reglamento de la universidad obligue a informarlo.\n\n"
            "Las visitas de clase sirven para aprender, nunca para evaluar: nada de lo que "
            "se observa llega a tu evaluación docente."
        ),
        "people": {
            "coordinator": ("Lucía", "Paredes"),
            "participants": 8,
            "first_names": [
                "Valentina",
                "Mateo",
                "Camila",
                "Santiago",
                "Daniela",
                "Andrés",
                "Gabriela",
                "Julián",
            ],
            "last_names": [
                "Restrepo",
                "Quispe",
                "Salazar",
                "Mendoza",
                "Rojas",
                "Cárdenas",
                "Villalobos",
                "Guzmán",
            ],
        },
    },
]

FIRST_NAMES = [
    "Amara",
    "Ben",
    "Chen",
    "Dana",
    "Elif",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kavya",
    "Liam",
    "Maya",
    "Noor",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Victor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
]
LAST_NAMES = [
    "Okafor",
    "Hughes",
    "Li",
    "Kowalski",
    "Yilmaz",
    "Haddad",
    "Mensah",
    "Tanaka",
    "Duarte",
    "Berg",
    "Iyer",
    "Walsh",
    "Cohen",
    "Rahman",
    "Aziz",
    "Nair",
    "Murphy",
    "Silva",
    "Lund",
    "Khan",
    "Patel",
    "Moreau",
    "Zhang",
    "Ortega",
    "Demir",
    "Fischer",
]


@dataclass
class DemoResult:
    admin_email: str = ADMIN_EMAIL
    multi_email: str = MULTI_EMAIL
    organizations: list = field(default_factory=list)
    # {organisation id: [lines]}, from the loaders of settings.DEMO_LOADERS in order.
    lines: dict = field(default_factory=dict)


def _person(email, first_name, last_name, password_hash, **extra):
    # Hashed once per run: ~100 full-strength hashes made `make run` take a minute.
    user, _ = User.objects.get_or_create(
        email=email,
        defaults={
            "first_name": first_name,
            "last_name": last_name,
            "password": password_hash,
            **extra,
        },
    )
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def demo_load():
    """Create or refresh the demo organisations, coordinators and participants, then run
    settings.DEMO_LOADERS in order, all in one transaction."""
    result = DemoResult()
    password_hash = make_password(DEMO_PASSWORD)
    with transaction.atomic(), scopes_disabled():
        admin = _person(
            ADMIN_EMAIL, "Operator", "Admin", password_hash, is_staff=True, is_superuser=True
        )
        if not admin.is_superuser:
            admin.is_staff = admin.is_superuser = True
            admin.save(update_fields=["is_staff", "is_superuser"])
        multi = _person(MULTI_EMAIL, "Alex", "Rivera", password_hash)
        for index, spec in enumerate(ORGANIZATIONS):
            spec = dict(spec)
            people = spec.pop("people", {})
            org, _ = Organization.objects.update_or_create(
                slug=spec["slug"],
                defaults={
                    **spec,
                    "help_email": f"coaching@{spec['slug']}.example.org",
                    # Demo only: real organisations keep two-factor required for coordinators.
                    "require_coordinator_mfa": False,
                },
            )
            domain = f"{org.slug}.example.org"
            first, last = people.get("coordinator", ("Jordan", f"Coordinator ({org.name})"))
            coordinator = _person(f"coordinator@{domain}", first, last, password_hash)
            Membership.objects.update_or_create(
                organization=org, user=coordinator, defaults={"role": Membership.Role.COORDINATOR}
            )
            participants = []
            first_names = people.get("first_names", FIRST_NAMES)
            last_names = people.get("last_names", LAST_NAMES)
            shift = 0 if "first_names" in people else index  # its own names: each once
            for n in range(1, people.get("participants", PARTICIPANTS_PER_ORG) + 1):
                first = first_names[(n + shift * 5) % len(first_names)]
                last = last_names[(n * 7 + shift * 3) % len(last_names)]
                person = _person(f"participant{n:02d}@{domain}", first, last, password_hash)
                Membership.objects.update_or_create(
                    organization=org, user=person, defaults={"role": Membership.Role.PARTICIPANT}
                )
                participants.append(person.email)
            result.organizations.append((org, coordinator.email, participants))
        # One person in two organisations, with a different role in each.
        roles = {"wit": Membership.Role.COORDINATOR, "atc": Membership.Role.PARTICIPANT}
        for slug, role in roles.items():
            Membership.objects.update_or_create(
                organization=Organization.objects.get(slug=slug),
                user=multi,
                defaults={"role": role},
            )
        organizations = [org for org, _coordinator, _participants in result.organizations]
        for path in settings.DEMO_LOADERS:
            loaded = import_string(path)(organizations=organizations)
            for organization_id, lines in loaded.items():
                result.lines.setdefault(organization_id, []).extend(lines)
    return result
