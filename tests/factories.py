"""One factory per model. Tenant-owned factories need an active scope (see conftest)."""

from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.utils import timezone

from peercoach.accounts.models import Invitation, User
from peercoach.tenancy.models import Membership, Organization
from programs.models import (
    Application,
    Match,
    MatchMember,
    Program,
    ProgramEvent,
    Question,
    Resource,
)

TEST_PASSWORD = "correct-horse-battery-staple"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"org-{n}")
    name = factory.Sequence(lambda n: f"Organisation {n}")
    time_zone = "Europe/Berlin"
    help_email = factory.LazyAttribute(lambda o: f"help@{o.slug}.example.org")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or TEST_PASSWORD)
        if create:
            self.save(update_fields=["password"])
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.PARTICIPANT


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    organization = factory.SubFactory(OrganizationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.org")
    role = Membership.Role.PARTICIPANT
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))


def totp_activate(user):
    """Give `user` an authenticator app (TOTP); returns the secret to compute codes."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


# --- Programs ---------------------------------------------------------------------------


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Program {n}")
    format = Program.Format.RECIPROCAL
    status = Program.Status.OPEN
    term_start = factory.LazyFunction(lambda: timezone.localdate())
    term_end = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=180))


class ProgramEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgramEvent

    program = factory.SubFactory(ProgramFactory)
    organization = factory.SelfAttribute("program.organization")
    kind = ProgramEvent.Kind.KICKOFF
    title = "Kick-off"
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource

    program = factory.SubFactory(ProgramFactory)
    organization = factory.SelfAttribute("program.organization")
    title = factory.Sequence(lambda n: f"Guide {n}")
    body = "Open questions help your partner think for themselves."


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    program = factory.SubFactory(ProgramFactory)
    organization = factory.SelfAttribute("program.organization")
    kind = Question.Kind.TEXT
    label = factory.Sequence(lambda n: f"Question {n}")
    position = factory.Sequence(lambda n: n)


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    program = factory.SubFactory(ProgramFactory)
    organization = factory.SelfAttribute("program.organization")
    user = factory.SubFactory(UserFactory)
    status = Application.Status.ACCEPTED


class MatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Match

    program = factory.SubFactory(ProgramFactory)
    organization = factory.SelfAttribute("program.organization")
    status = Match.Status.PROPOSED


def match_make(*, program, users, status=Match.Status.PROPOSED, roles=None):
    """A pair or circle of `users` in `program` (needs the program's scope)."""
    match = MatchFactory(program=program, status=status)
    for position, user in enumerate(users):
        MatchMember.objects.create(
            organization=program.organization,
            match=match,
            program=program,
            user=user,
            role=(roles or [MatchMember.Role.PARTNER] * len(users))[position],
            position=position,
            is_current=status in Match.CURRENT,
        )
    return match
