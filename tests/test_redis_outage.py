"""Redis goes away, people keep working, and every email arrives once when it returns.

The app runs with REDIS_URL on a redis-server this test starts on a free port, then stops
(the port is closed: connections are refused), as settings.py configures it: the
fallback cache (peercoach/cache.py) and the Celery broker on that port, tasks not eager.
While it is down, people sign in through the login form, the last signature of an
agreement is given on the signing page and a participant opts out of a pair: no answer
may be a 500. Then redis-server starts again on the same port, a real Celery worker
(in a thread of this process, consuming `email` and `default` from that Redis) runs the
dispatcher as beat would, and the worker sends over SMTP to a local sink. Each expected
email (both parties' "agreement signed", the partner's and the program team's opt-out
notices) must arrive exactly once, also after a second dispatcher run.

Scale and length come from the environment so that bench/redis_outage.py can run the
same walk for a 60-second outage: PEERCOACH_OUTAGE_PAIRS (pairs that sign, and as many
that opt out; default 1), PEERCOACH_OUTAGE_SECONDS (how long Redis stays down at least;
default 0: as long as the walk takes), PEERCOACH_OUTAGE_RESULT (a JSON file for the
figures).
"""

import json
import os
import time
from collections import Counter
from email import message_from_bytes
from email.header import decode_header, make_header

import kombu.pools
import pytest
from celery.contrib.testing.worker import start_worker
from django.test import Client
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from agreements.models import Agreement
from agreements.services.create import agreement_create
from peercoach.celery import app
from peercoach.notifications.models import Delivery
from programs.models import Match, Program
from sessions.models import OptOut
from tests.agreements.conftest import Pair as AgreementPair
from tests.agreements.conftest import template_make
from tests.factories import TEST_PASSWORD, ProgramFactory, match_make
from tests.notifications.smtp_sink import HOST, Sink
from tests.sessions.conftest import pair_make, person

from .conftest import require_or_skip
from .redis_server import RedisServer, caches_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PAIRS = int(os.environ.get("PEERCOACH_OUTAGE_PAIRS", "1"))
OUTAGE_SECONDS = float(os.environ.get("PEERCOACH_OUTAGE_SECONDS", "0"))
RESULT_FILE = os.environ.get("PEERCOACH_OUTAGE_RESULT")
DELIVERY_TIMEOUT = 60 + PAIRS


def _drop_broker_pools():
    """Forget pooled broker connections so the next publish uses the current broker_url."""
    kombu.pools.reset()
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@pytest.fixture
def redis_port(settings):
    """The app configured for a redis-server on a free port (started, not yet stopped)."""
    require_or_skip(RedisServer.available(), "redis-server")
    server = RedisServer().start()
    settings.REDIS_URL = server.url
    settings.CACHES = caches_for(server.url, settings.REDIS_TIMEOUT)
    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    _drop_broker_pools()
    app.conf.update(broker_url=server.url, task_always_eager=False)
    try:
        yield server
    finally:
        server.stop()
        _drop_broker_pools()
        app.conf.update(saved)


@pytest.fixture
def sink(settings):
    with Sink() as sink:
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {
                    "host": HOST,
                    "port": sink.port,
                    "username": "",
                    "password": "",
                    "use_tls": False,
                    "use_ssl": False,
                    "timeout": 10,
                },
            }
        }
        yield sink


def _signing_pair(org, n):
    a = person(org, f"sign-a{n}@acme.example.org")
    b = person(org, f"sign-b{n}@acme.example.org")
    with scope(organization=org):
        program = ProgramFactory(
            organization=org,
            name=f"Signing {n}",
            format=Program.Format.RECIPROCAL,
            status=Program.Status.RUNNING,
        )
        match = match_make(program=program, users=[a, b], status=Match.Status.ACTIVE)
        template = template_make(program)
        agreement = agreement_create(match=match, template=template)
        pair = AgreementPair(org, program, match, template, agreement, a, b)
        pair.fill_required()
        return pair, pair.sha()


def _opt_out_pair(org, n):
    me = person(org, f"leave{n}@acme.example.org")
    pair = pair_make(org, me, name=f"Leaving {n}")
    return pair


def _signed_in(email, statuses):
    client = Client()
    assert client.get(reverse("account_login")).status_code == 200
    response = client.post(reverse("account_login"), {"login": email, "password": TEST_PASSWORD})
    statuses.append(response.status_code)
    assert response.status_code == 302, response.content[:500]
    return client


def _sign(client, pair, user, sha, statuses):
    url = reverse("agreements:sign", kwargs={"org_slug": pair.org.slug, "pk": pair.agreement.pk})
    response = client.post(
        url,
        {"typed_name": user.get_full_name(), "sha256": sha, "consent": "on", "intent": "on"},
    )
    statuses.append(response.status_code)
    assert response.status_code == 302, response.content[:500]


def _opt_out(client, pair, statuses):
    url = reverse(
        "sessions:opt_out", kwargs={"org_slug": pair.match.organization.slug, "pk": pair.match.pk}
    )
    response = client.post(
        url,
        {
            "step": "confirm",
            "reason": OptOut.Reason.NO_TIME,
            "notice": "No evenings left, sorry.",
            "notice_shared": "False",
            "wants_new_partner": "True",
        },
    )
    statuses.append(response.status_code)
    assert response.status_code == 302, response.content[:500]


def _received(sink):
    """Counter of (recipient, subject) over what the sink holds."""
    got = Counter()
    for recipients, content in list(sink.messages):
        subject = str(make_header(decode_header(message_from_bytes(content)["Subject"])))
        for recipient in recipients:
            got[(recipient.lower(), subject)] += 1
    return got


def _compare(expected, got):
    lost = sum(max(0, n - got[key]) for key, n in expected.items())
    duplicated = sum(max(0, got[key] - n) for key, n in expected.items())
    return lost, duplicated


def test_redis_down_sign_in_signing_and_opt_out_work_and_every_email_arrives_once(
    org, coordinator, redis_port, sink
):
    signing = [_signing_pair(org, n) for n in range(PAIRS)]
    leaving = [_opt_out_pair(org, n) for n in range(PAIRS)]
    # Redis answers at first: the cache and the broker hold pooled connections to it.
    health = Client().get("/healthz").json()
    assert health["status"] == "ok", health

    redis_port.stop()
    down_at = time.monotonic()
    statuses = []
    slowest = 0.0
    health = Client().get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "degraded"
    assert health.json()["components"]["cache"]["status"] == "down"
    assert health.json()["components"]["broker"]["status"] == "down"

    for n, ((pair, sha), leaver) in enumerate(zip(signing, leaving, strict=True)):
        started = time.monotonic()
        client_a = _signed_in(pair.a.email, statuses)
        client_b = _signed_in(pair.b.email, statuses)
        _sign(client_a, pair, pair.a, sha, statuses)
        _sign(client_b, pair, pair.b, sha, statuses)  # the last signature
        _opt_out(_signed_in(leaver.me.email, statuses), leaver, statuses)
        slowest = max(slowest, (time.monotonic() - started) / 6)
        if OUTAGE_SECONDS:  # spread the actions over the outage
            time.sleep(max(0.0, down_at + OUTAGE_SECONDS * (n + 1) / PAIRS - time.monotonic()))
    outage = time.monotonic() - down_at

    assert set(statuses) == {302}
    with scopes_disabled():
        assert Agreement.objects.filter(status=Agreement.Status.SIGNED).count() == PAIRS
        assert OptOut.objects.count() == PAIRS
    assert sink.counts == Counter()  # nothing can have left while Redis was down

    expected = Counter()
    for pair, _sha in signing:
        subject = f"Your agreement in {pair.program.name} is signed"
        expected[(pair.a.email, subject)] += 1
        expected[(pair.b.email, subject)] += 1
    for leaver in leaving:
        author = leaver.me.display_name
        program = leaver.program.name
        expected[(leaver.partner.email, f"{author} has ended your coaching in {program}")] += 1
        expected[(coordinator.email, f"Opt-out in {program}: {author}")] += 1

    # Redis returns on the same port; a worker runs the dispatcher as beat would.
    redis_port.start()
    back_at = time.monotonic()
    with start_worker(
        app, pool="solo", queues=["email", "default"], perform_ping_check=False, shutdown_timeout=30
    ):
        app.send_task("peercoach.notifications.tasks.reminders_dispatch", queue="default")
        sink.wait_for(sum(expected.values()), timeout=DELIVERY_TIMEOUT)
        delivered_after = time.monotonic() - back_at
        # A second run (the next beat) must find nothing left to send.
        app.send_task("peercoach.notifications.tasks.reminders_dispatch", queue="default")
        time.sleep(2)
    got = _received(sink)
    lost, duplicated = _compare(expected, got)
    with scopes_disabled():
        unsent = Delivery.objects.exclude(status=Delivery.Status.SENT).filter(
            recipient__email__in={email for email, _ in expected}
        )
        unsent = list(unsent.values_list("recipient__email", "status"))
    if RESULT_FILE:
        with open(RESULT_FILE, "w") as out:
            json.dump(
                {
                    "pairs": PAIRS,
                    "actions": len(statuses),
                    "outage_s": round(outage, 1),
                    "slowest_action_avg_s": round(slowest, 3),
                    "errors_5xx": sum(1 for s in statuses if s >= 500),
                    "expected": sum(expected.values()),
                    "received": sum(got[key] for key in expected),
                    "lost": lost,
                    "duplicated": duplicated,
                    "delivered_after_s": round(delivered_after, 1),
                },
                out,
            )
    assert (lost, duplicated) == (0, 0), (expected, got)
    assert unsent == []
