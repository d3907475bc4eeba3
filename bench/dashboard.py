"""Program dashboard latency on PostgreSQL: the coordinators' page against one
hand-written SQL query rendered in a bare template, in the same run.

Against a throwaway PostgreSQL database (`bench_dashboard`, created and dropped; the
server is BENCH_DATABASE_URL's, default postgres://postgres@127.0.0.1:5432/postgres),
no Redis (tasks in-process, local-memory cache):

  setup:    migrate, then one organisation with 10,000 participants, all applied and
            accepted, in 5,000 reciprocal pairs of one running program (every two
            weeks, a 26-week term, 17 weeks in), 100,000 held sessions, feedback on
            half of them, the progress reports of each reporting period, an agreement
            per pair (9 in 10 signed), some pauses and opt-outs; some pairs quiet for
            weeks, some late with a report, some with low ratings or an agreement left
            unsigned. All inserted with bulk_create.
  ours:     GET /o/bench/programs/<pk>/dashboard/ through Django's test client, signed
            in as a coordinator: middleware, session, the dashboard's queries, the pairs
            at risk worked out in Python, the full page with its three SVG charts.
  baseline: one hand-written SQL query (CTEs, JSON aggregates) that computes the same
            numbers: the funnel, held sessions per week, the pairs at risk by rule with
            the first page of them, opt-outs by reason, report ratings by period; then a
            bare Django template (no base template, no middleware) renders them.

Both run `--repeat` times, alternating, after a warm-up; the medians are compared. The
numbers of both sides are checked to be equal before anything is timed.

Run: .venv/bin/python bench/dashboard.py [--repeat 15] [--keep] [--profile]
Last line: RESULT dashboard_ms=<float> baseline_ms=<float> ratio=<float> queries=<int>
(ratio = dashboard / baseline; queries = the dashboard request's.) See bench/README.md.
"""

import argparse
import hashlib
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# Run as a script, bench/ comes first on sys.path, where http.py would shadow the standard
# library's `http`; the project root is what this script needs instead.
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [str(BASE_DIR)] + [p for p in sys.path if str(Path(p or ".").resolve()) != _HERE]

from bench._pg import database, database_url  # noqa: E402 - after sys.path

DB_NAME = "bench_dashboard"
ZONE = "Europe/Berlin"
PARTICIPANTS, PAIRS, SESSIONS = 10_000, 5_000, 100_000
EVERY = 14  # the program's cadence, days
# Days between progress reports: the app's default (sessions.selectors.reports), since the
# bench's signed agreements set none. Since 3ee34c1 reports are monthly unless agreed
# otherwise; the bench still wrote and checked fortnightly ones, so the baseline counted
# 333 pairs late with a report and the dashboard none, and the run stopped.
REPORT_EVERY = 30
TERM_BEFORE, TERM_AFTER = 120, 61  # the term runs from today - 120 to today + 61
NO_LOGIN = "!"  # an unusable password hash: nobody signs in as these people
BATCH = 5_000
DROPPED_ENV = {
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_HOST",
    "EMAIL_BACKEND",
    "SITE_URL",
    "PEERCOACH_VAR_DIR",
    "DJANGO_SETTINGS_MODULE",
    "DEBUG",
    "SECRET_KEY",
    "LOG_LEVEL",
    "ALLOWED_HOSTS",
}


class BenchError(Exception):
    pass


def environment(secret, var_dir):
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
    env.update(
        DJANGO_SETTINGS_MODULE="peercoach.settings",
        DATABASE_URL=database_url(DB_NAME),
        SECRET_KEY=secret,
        DEBUG="false",
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="false",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        PEERCOACH_VAR_DIR=str(var_dir),
        REMINDERS_IN_PROCESS="false",
        LOG_LEVEL="WARNING",
    )
    return env


# -- data -----------------------------------------------------------------------------


def _at(day, hour, zone):
    return datetime.combine(day, clock(hour), tzinfo=zone)


def setup_data(pairs=PAIRS, seed=8):
    """The organisation, its program and a coordinator; see the module docstring."""
    from sessions.selectors.reports import DEFAULT_EVERY_DAYS

    if DEFAULT_EVERY_DAYS != REPORT_EVERY:
        raise SystemExit(f"REPORT_EVERY is {REPORT_EVERY}, the app's {DEFAULT_EVERY_DAYS}")
    import zoneinfo

    from django.utils import timezone
    from django_scopes import scope

    from agreements.models import Agreement, AgreementTemplate, Signature
    from peercoach.accounts.models import Invitation, User
    from peercoach.tenancy.models import Membership, Organization
    from programs.models import Application, Match, MatchMember, Program
    from sessions.models import Feedback, OptOut, Pause, ProgressReport, Session

    rng = random.Random(seed)
    zone = zoneinfo.ZoneInfo(ZONE)
    now = timezone.now()
    today = now.astimezone(zone).date()
    org = Organization.objects.create(
        slug="bench", name="Bench University", time_zone=ZONE, require_coordinator_mfa=False
    )
    coordinator = User.objects.create(
        email="coordinator@bench.example.org", first_name="Jo", last_name="Lead"
    )
    groups = [f"Group {g:02}" for g in range(12)]
    with scope(organization=org):
        Membership.objects.create(
            organization=org, user=coordinator, role=Membership.Role.COORDINATOR
        )
        program = Program.objects.create(
            organization=org,
            name="Bench Coaching",
            format=Program.Format.RECIPROCAL,
            status=Program.Status.RUNNING,
            cadence_days=EVERY,
            term_start=today - timedelta(days=TERM_BEFORE),
            term_end=today + timedelta(days=TERM_AFTER),
        )
        users = User.objects.bulk_create(
            (
                User(
                    email=f"p{i:05}@bench.example.org",
                    first_name=f"Person{i}",
                    last_name=f"Bench{i % 97}",
                    password=NO_LOGIN,
                )
                for i in range(2 * pairs)
            ),
            batch_size=BATCH,
        )
        Membership.objects.bulk_create(
            (Membership(organization=org, user=u, role=Membership.Role.PARTICIPANT) for u in users),
            batch_size=BATCH,
        )
        Invitation.objects.bulk_create(
            Invitation(
                organization=org,
                email=f"invitee{i}@bench.example.org",
                role=Membership.Role.PARTICIPANT,
                expires_at=now + timedelta(days=10),
            )
            for i in range(50)
        )
        applications = Application.objects.bulk_create(
            (
                Application(
                    organization=org,
                    program=program,
                    user=u,
                    status=Application.Status.ACCEPTED,
                    group=groups[i % 12],
                    community="North" if i % 12 < 6 else "South",
                )
                for i, u in enumerate(users)
            ),
            batch_size=BATCH,
        )
        # Pair k: people 2k and 2k+1, published in the term's first 20 days; one in 20
        # ended when its first member opted out a month later.
        matches = Match.objects.bulk_create(
            (
                Match(
                    organization=org,
                    program=program,
                    status=Match.Status.ENDED if k % 20 == 7 else Match.Status.ACTIVE,
                    published_at=_at(program.term_start + timedelta(days=k % 20), 9, zone),
                )
                for k in range(pairs)
            ),
            batch_size=BATCH,
        )
        for match in matches:
            if match.status == Match.Status.ENDED:
                match.ended_at = match.published_at + timedelta(days=30)
        Match.objects.bulk_update(
            [m for m in matches if m.ended_at], ["ended_at"], batch_size=BATCH
        )
        MatchMember.objects.bulk_create(
            (
                MatchMember(
                    organization=org,
                    match=match,
                    program=program,
                    user=users[2 * k + side],
                    application=applications[2 * k + side],
                    role=MatchMember.Role.PARTNER,
                    position=side,
                    is_current=match.status == Match.Status.ACTIVE,
                )
                for k, match in enumerate(matches)
                for side in (0, 1)
            ),
            batch_size=BATCH,
        )
        reasons = list(OptOut.Reason.values)
        OptOut.objects.bulk_create(
            OptOut(
                organization=org,
                match=match,
                program=program,
                user=users[2 * k],
                reason=reasons[k % len(reasons)],
                notice="Bench notice.",
            )
            for k, match in enumerate(matches)
            if match.status == Match.Status.ENDED
        )

        # 100,000 held sessions: 20 per pair, between the pair's start and yesterday;
        # one pair in 10 went quiet 30 to 60 days ago.
        sessions = []
        for k, match in enumerate(matches):
            first = match.published_at.astimezone(zone).date() + timedelta(days=1)
            last = (match.ended_at.astimezone(zone).date() if match.ended_at else today) - (
                timedelta(days=rng.randint(30, 60)) if k % 10 == 3 else timedelta(days=1)
            )
            span = max((last - first).days, 1)
            for j in range(SESSIONS // PAIRS):
                day = first + timedelta(days=span * j // (SESSIONS // PAIRS - 1))
                sessions.append(
                    Session(
                        organization=org,
                        program=program,
                        match=match,
                        status=Session.Status.HELD,
                        starts_at=_at(day, 8 + rng.randint(0, 10), zone),
                        time_zone=ZONE,
                        duration_minutes=90,
                        proposed_by=users[2 * k],
                        logged_by=users[2 * k],
                        logged_at=now,
                    )
                )
        sessions = Session.objects.bulk_create(sessions, batch_size=BATCH)
        # Feedback on every other session, from the second member; one pair in 33 rates low.
        Feedback.objects.bulk_create(
            (
                Feedback(
                    organization=org,
                    session=session,
                    author=users[2 * (index // 20) + 1],
                    coach=users[2 * (index // 20)],
                    rating=rng.choice((1, 2, 2)) if (index // 20) % 33 == 5 else rng.randint(3, 5),
                )
                for index, session in enumerate(sessions)
                if index % 2 == 0
            ),
            batch_size=BATCH,
        )
        # Progress reports: every member of an active pair, every period due, except
        # the latest due one for one member in 12.
        reports = []
        for k, match in enumerate(matches):
            if match.status != Match.Status.ACTIVE:
                continue
            start = match.published_at.astimezone(zone).date()
            due = (today - start).days // REPORT_EVERY
            for side in (0, 1):
                skip = due if (2 * k + side) % 12 == 4 else None
                for period in range(1, due + 1):
                    if period == skip:
                        continue
                    reports.append(
                        ProgressReport(
                            organization=org,
                            match=match,
                            program=program,
                            author=users[2 * k + side],
                            period=period,
                            period_end=start + timedelta(days=period * REPORT_EVERY),
                            working="yes",
                            beneficial="partly",
                            rating=rng.randint(2, 5),
                        )
                    )
        ProgressReport.objects.bulk_create(reports, batch_size=BATCH)
        # Pauses: one pair in 100 paused today, one in 50 paused for ten days last month.
        Pause.objects.bulk_create(
            Pause(
                organization=org,
                match=match,
                requested_by=users[2 * k],
                starts_on=today - timedelta(days=3 if k % 100 == 11 else 40),
                ends_on=today + timedelta(days=10) if k % 100 == 11 else today - timedelta(days=31),
            )
            for k, match in enumerate(matches)
            if k % 100 == 11 or k % 50 == 13
        )
        # Agreements: signed by both for 9 pairs in 10 (their text names no frequency: the
        # program's cadence stands); the rest open for 20 days, signed by one.
        template = AgreementTemplate.objects.create(organization=org, program=program)
        agreements = []
        for k, match in enumerate(matches):
            signed = k % 10 != 6
            text = f'{{"items": [], "pair": {match.pk}}}'
            agreements.append(
                Agreement(
                    organization=org,
                    match=match,
                    program=program,
                    template=template,
                    status=Agreement.Status.SIGNED if signed else Agreement.Status.OPEN,
                    signed_at=now - timedelta(days=60) if signed else None,
                    signed_content=text if signed else "",
                    content_sha256=hashlib.sha256(text.encode()).hexdigest() if signed else "",
                )
            )
        agreements = Agreement.objects.bulk_create(agreements, batch_size=BATCH)
        Agreement.objects.filter(organization=org, status=Agreement.Status.OPEN).update(
            created_at=now - timedelta(days=20)
        )
        Signature.objects.bulk_create(
            (
                Signature(
                    organization=org,
                    agreement=agreement,
                    signer=users[2 * k + side],
                    typed_name="Bench Person",
                    consent_text="I agree.",
                    intent_text="I sign.",
                    content_sha256=agreement.content_sha256 or "0" * 64,
                    signed_at=now - timedelta(days=60),
                )
                for k, agreement in enumerate(agreements)
                for side in ((0, 1) if agreement.status == Agreement.Status.SIGNED else (0,))
            ),
            batch_size=BATCH,
        )
    return org, program, coordinator


# -- the baseline ---------------------------------------------------------------------

BASELINE_SQL = """
WITH
pairs AS (
    SELECT m.id, m.status, m.ended_at,
           GREATEST((COALESCE(m.published_at, m.created_at) AT TIME ZONE %(zone)s)::date,
                    %(term_start)s) AS start,
           (COALESCE(m.published_at, m.created_at) AT TIME ZONE %(zone)s)::date AS report_start
    FROM programs_match m
    WHERE m.organization_id = %(org)s AND m.program_id = %(program)s
      AND m.status IN ('active', 'ended')
),
members AS (
    SELECT mm.match_id, mm.user_id, mm.is_current, p.status AS match_status
    FROM programs_matchmember mm JOIN pairs p ON p.id = mm.match_id
    WHERE mm.organization_id = %(org)s
),
signed AS (
    SELECT DISTINCT match_id FROM agreements_agreement
    WHERE organization_id = %(org)s AND program_id = %(program)s AND status = 'signed'
),
opted AS (
    SELECT match_id, user_id, reason FROM coaching_sessions_optout
    WHERE organization_id = %(org)s AND program_id = %(program)s
),
held AS MATERIALIZED (
    SELECT match_id, (starts_at AT TIME ZONE %(zone)s)::date AS day
    FROM coaching_sessions_session
    WHERE organization_id = %(org)s AND program_id = %(program)s AND status = 'held'
),
pauses AS (
    SELECT pa.match_id, pa.starts_on, COALESCE(pa.ended_early_on, pa.ends_on) AS last_day
    FROM coaching_sessions_pause pa JOIN pairs p ON p.id = pa.match_id
    WHERE pa.organization_id = %(org)s
),
watched AS MATERIALIZED (  -- active pairs not paused today: the ones that can be at risk
    SELECT p.* FROM pairs p
    WHERE p.status = 'active' AND NOT EXISTS (
        SELECT 1 FROM pauses pa
        WHERE pa.match_id = p.id AND pa.starts_on <= %(today)s AND pa.last_day >= %(today)s)
),
since AS MATERIALIZED (
    SELECT w.id, w.start, GREATEST(COALESCE(max(h.day), w.start), w.start) AS since
    FROM watched w LEFT JOIN held h ON h.match_id = w.id
    GROUP BY w.id, w.start
),
cadence AS MATERIALIZED (
    SELECT s.id FROM since s
    WHERE s.start <= %(today)s AND %(today)s <= %(term_end)s
      AND (%(today)s - s.since) - COALESCE((
          SELECT sum(GREATEST(0, LEAST(pa.last_day, %(today)s - 1)
                                 - GREATEST(pa.starts_on, s.since) + 1))
          FROM pauses pa WHERE pa.match_id = s.id), 0) > %(every)s + 7
),
report AS MATERIALIZED (  -- a member with a period due over a week ago and not reported
    SELECT DISTINCT d.id FROM (
        SELECT w.id, mm.user_id,
               CASE WHEN %(today)s - 8 < w.report_start THEN 0
                    ELSE (%(today)s - 8 - w.report_start) / %(report_every)s END AS due
        FROM watched w
        JOIN programs_matchmember mm
          ON mm.organization_id = %(org)s AND mm.match_id = w.id AND mm.is_current
    ) d
    LEFT JOIN coaching_sessions_progressreport r
      ON r.organization_id = %(org)s AND r.match_id = d.id AND r.author_id = d.user_id
     AND r.period BETWEEN 1 AND d.due
    WHERE d.due > 0
    GROUP BY d.id, d.user_id, d.due
    HAVING count(r.period) < d.due
),
agreement AS MATERIALIZED (
    SELECT DISTINCT a.match_id AS id FROM agreements_agreement a JOIN watched w ON w.id = a.match_id
    WHERE a.organization_id = %(org)s AND a.status = 'open'
      AND a.created_at <= %(now)s - interval '7 days'
      AND NOT EXISTS (
          SELECT 1 FROM agreements_agreement s
          WHERE s.organization_id = %(org)s AND s.match_id = a.match_id AND s.status = 'signed')
),
rating AS MATERIALIZED (
    SELECT s.match_id AS id
    FROM coaching_sessions_feedback f
    JOIN coaching_sessions_session s ON s.id = f.session_id
    JOIN watched w ON w.id = s.match_id
    WHERE f.organization_id = %(org)s AND s.status = 'held'
      AND s.starts_at >= %(now)s - interval '42 days' AND s.starts_at <= %(now)s
    GROUP BY s.match_id HAVING avg(f.rating) <= 2
),
at_risk AS MATERIALIZED (
    SELECT w.id,
           c.id IS NOT NULL AS cadence, r.id IS NOT NULL AS report,
           a.id IS NOT NULL AS agreement, g.id IS NOT NULL AS rating,
           (c.id IS NOT NULL)::int + (r.id IS NOT NULL)::int + (a.id IS NOT NULL)::int
           + (g.id IS NOT NULL)::int AS reasons
    FROM watched w
    LEFT JOIN cadence c ON c.id = w.id
    LEFT JOIN report r ON r.id = w.id
    LEFT JOIN agreement a ON a.id = w.id
    LEFT JOIN rating g ON g.id = w.id
    WHERE c.id IS NOT NULL OR r.id IS NOT NULL OR a.id IS NOT NULL OR g.id IS NOT NULL
)
SELECT
    (SELECT count(*) FROM tenancy_membership
      WHERE organization_id = %(org)s AND role = 'participant')
    + (SELECT count(*) FROM accounts_invitation
       WHERE organization_id = %(org)s AND role = 'participant' AND accepted_at IS NULL
         AND revoked_at IS NULL AND expires_at > %(today_start)s) AS invited,
    (SELECT count(*) FROM programs_application
      WHERE organization_id = %(org)s AND program_id = %(program)s) AS applied,
    (SELECT count(*) FROM programs_application
      WHERE organization_id = %(org)s AND program_id = %(program)s
        AND status = 'accepted') AS accepted,
    (SELECT count(DISTINCT user_id) FROM members) AS paired_people,
    (SELECT count(*) FROM pairs) AS paired_pairs,
    (SELECT count(DISTINCT user_id) FROM members
      WHERE match_id IN (SELECT match_id FROM signed)) AS signed_people,
    (SELECT count(*) FROM pairs WHERE id IN (SELECT match_id FROM signed)) AS signed_pairs,
    (SELECT count(DISTINCT user_id) FROM members
      WHERE is_current AND match_status = 'active') AS active_people,
    (SELECT count(*) FROM pairs WHERE status = 'active') AS active_pairs,
    (SELECT count(DISTINCT user_id) FROM opted) AS opted_people,
    (SELECT count(DISTINCT match_id) FROM opted) AS opted_pairs,
    (SELECT json_agg(json_build_array(b, n) ORDER BY b) FROM (
        SELECT LEAST(GREATEST((day - %(term_start)s) / 7, 0), %(buckets)s - 1) AS b,
               count(*) AS n
        FROM held GROUP BY 1) w) AS weekly,
    (SELECT json_build_object(
        'total', count(*),
        'cadence', count(*) FILTER (WHERE cadence),
        'report', count(*) FILTER (WHERE report),
        'agreement', count(*) FILTER (WHERE agreement),
        'rating', count(*) FILTER (WHERE rating)) FROM at_risk) AS risk,
    (SELECT json_agg(json_build_object(
        'id', r.id, 'names', r.names, 'cadence', r.cadence, 'report', r.report,
        'agreement', r.agreement, 'rating', r.rating) ORDER BY r.reasons DESC, r.id)
     FROM (
        SELECT a.*, (SELECT string_agg(u.first_name || ' ' || u.last_name, ' and '
                                       ORDER BY mm.position, mm.id)
                     FROM programs_matchmember mm JOIN accounts_user u ON u.id = mm.user_id
                     WHERE mm.match_id = a.id AND mm.is_current) AS names
        FROM at_risk a ORDER BY a.reasons DESC, a.id LIMIT 25) r) AS risk_page,
    (SELECT json_agg(json_build_array(reason, n) ORDER BY reason) FROM (
        SELECT reason, count(*) AS n FROM opted GROUP BY reason) o) AS opt_outs,
    (SELECT json_agg(json_build_array(period, average, n) ORDER BY period) FROM (
        SELECT period, avg(rating)::float AS average, count(*) AS n
        FROM coaching_sessions_progressreport
        WHERE organization_id = %(org)s AND program_id = %(program)s
        GROUP BY period) r) AS ratings
"""

BASELINE_TEMPLATE = """<!DOCTYPE html><html lang="en"><head><title>{{ name }}</title></head>
<body><h1>{{ name }}</h1>
<ul>{% for label, people, pairs in funnel %}
  <li>{{ label }}: {{ people }}{% if pairs is not None %} ({{ pairs }} pairs){% endif %}</li>
{% endfor %}</ul>
<h2>Pairs at risk: {{ risk.total }}</h2>
<p>No session {{ risk.cadence }}, report {{ risk.report }}, agreement {{ risk.agreement }},
rating {{ risk.rating }}</p>
<table>{% for row in risk_page %}<tr><td>{{ row.names }}</td>
  <td>{% if row.cadence %}cadence {% endif %}{% if row.report %}report {% endif %}
  {% if row.agreement %}agreement {% endif %}{% if row.rating %}rating{% endif %}</td>
  <td><form method="post" action="/nudge/{{ row.id }}/"><button>Nudge</button></form></td></tr>
{% endfor %}</table>
<h2>Sessions per week</h2>
<table>{% for bucket, n in weekly %}<tr><td>{{ bucket }}</td><td>{{ n }}</td></tr>
{% endfor %}</table>
<h2>Opt-outs</h2>
<table>{% for reason, n in opt_outs %}<tr><td>{{ reason }}</td><td>{{ n }}</td></tr>
{% endfor %}</table>
<h2>Ratings</h2>
<table>{% for period, average, n in ratings %}
  <tr><td>{{ period }}</td><td>{{ average|floatformat:1 }}</td><td>{{ n }}</td></tr>
{% endfor %}</table>
</body></html>"""


def baseline_params(org, program, now):
    import zoneinfo

    zone = zoneinfo.ZoneInfo(ZONE)
    today = now.astimezone(zone).date()
    return {
        "org": org.pk,
        "program": program.pk,
        "zone": ZONE,
        "today": today,
        "today_start": datetime.combine(today, clock.min, tzinfo=zone),
        "now": now,
        "term_start": program.term_start,
        "term_end": program.term_end,
        "every": program.cadence_days,
        "report_every": REPORT_EVERY,
        "buckets": (program.term_end - program.term_start).days // 7 + 1,
    }


def baseline_numbers(params):
    """The numbers, from the one query: {name: value} (JSON columns decoded)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(BASELINE_SQL, params)
        columns = [c.name for c in cursor.description]
        return dict(zip(columns, cursor.fetchone(), strict=True))


def baseline_page(params, template):
    """One baseline "request": the query, then the bare template."""
    from django.template import Context

    row = baseline_numbers(params)
    funnel = [
        ("Invited", row["invited"], None),
        ("Applied", row["applied"], None),
        ("Accepted", row["accepted"], None),
        ("Paired", row["paired_people"], row["paired_pairs"]),
        ("Agreement signed", row["signed_people"], row["signed_pairs"]),
        ("Active", row["active_people"], row["active_pairs"]),
        ("Opted out", row["opted_people"], row["opted_pairs"]),
    ]
    return template.render(
        Context(
            {
                "name": "Bench Coaching",
                "funnel": funnel,
                "risk": row["risk"],
                "risk_page": row["risk_page"] or [],
                "weekly": row["weekly"] or [],
                "opt_outs": row["opt_outs"] or [],
                "ratings": row["ratings"] or [],
            }
        )
    )


# -- ours -----------------------------------------------------------------------------


def our_numbers(org, program, now):
    """The same numbers as the dashboard computes them (its selector, no page)."""
    from django_scopes import scope

    from sessions.selectors.risk import Rule
    from workspace.selectors.dashboard import Filters, dashboard_read

    program.organization = org
    with scope(organization=org):
        data = dashboard_read(program=program, filters=Filters(), now=now)
    stages = {stage.key: stage for stage in data.funnel}
    weekly = [[i, b.sessions] for i, b in enumerate(data.sessions.buckets) if b.sessions]
    by_rule = {rule: n for rule, _label, n in data.risk_summary.by_rule}
    return {
        "invited": stages["invited"].people,
        "applied": stages["applied"].people,
        "accepted": stages["accepted"].people,
        "paired_people": stages["paired"].people,
        "paired_pairs": stages["paired"].pairs,
        "signed_people": stages["signed"].people,
        "signed_pairs": stages["signed"].pairs,
        "active_people": stages["active"].people,
        "active_pairs": stages["active"].pairs,
        "opted_people": stages["opted_out"].people,
        "opted_pairs": stages["opted_out"].pairs,
        "weekly": weekly,
        "risk": {"total": data.risk_summary.total, **{r: by_rule[r] for r in Rule.ALL}},
        "risk_page": [risk.match.pk for risk in data.risks[:25]],
        "opt_outs": sorted([r.reason, r.count] for r in data.opt_outs if r.count),
        "ratings": [[r.period, round(r.average, 6), r.reports] for r in data.ratings],
    }


def compare(ours, theirs):
    """The names whose values differ between the dashboard and the baseline."""
    theirs = dict(theirs)
    theirs["risk_page"] = [row["id"] for row in theirs["risk_page"] or []]
    theirs["ratings"] = [[p, round(a, 6), n] for p, a, n in theirs["ratings"] or []]
    theirs["weekly"] = [list(pair) for pair in theirs["weekly"] or []]
    theirs["opt_outs"] = sorted(list(pair) for pair in theirs["opt_outs"] or [])
    return [name for name in ours if ours[name] != theirs.get(name)]


def timed(function):
    started = time.perf_counter()
    result = function()
    return (time.perf_counter() - started) * 1000, result


def profile_request(client, url):
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    client.get(url)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


# -- main -----------------------------------------------------------------------------


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15, help="timed requests per side (15)")
    parser.add_argument(
        "--pairs", type=int, default=PAIRS, help="pairs (5000; people and sessions follow)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--profile", action="store_true", help="cProfile one dashboard request")
    return parser.parse_args()


def main():
    options = parse_args()
    import secrets
    import shutil
    import tempfile

    var_dir = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    env = environment(secrets.token_urlsafe(40), var_dir)
    os.environ.update(env)
    for name in DROPPED_ENV - set(env):
        os.environ.pop(name, None)

    import django

    database(DB_NAME, "create")
    try:
        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.template import Engine
        from django.test import Client
        from django.test.utils import CaptureQueriesContext, setup_test_environment
        from django.urls import reverse
        from django.utils import timezone

        setup_test_environment()  # the test client's template signals, as in the tests
        call_command("migrate", verbosity=0)
        # Production static files (whitenoise's manifest), as the page is served.
        call_command("collectstatic", interactive=False, verbosity=0)
        started = time.monotonic()
        org, program, coordinator = setup_data(pairs=options.pairs)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(
            f"setup: {2 * options.pairs} participants, {options.pairs} pairs, "
            f"{options.pairs * SESSIONS // PAIRS} held sessions "
            f"in {time.monotonic() - started:.1f} s"
        )

        client = Client()
        client.force_login(coordinator)
        url = reverse("workspace:dashboard", kwargs={"org_slug": org.slug, "pk": program.pk})
        template = Engine(autoescape=True).from_string(BASELINE_TEMPLATE)
        now = timezone.now()
        params = baseline_params(org, program, now)

        ours = our_numbers(org, program, now)
        theirs = baseline_numbers(params)
        different = compare(ours, theirs)
        print(
            f"numbers: funnel {ours['paired_pairs']} pairs, {ours['active_pairs']} active; "
            f"at risk {ours['risk']}; sessions {sum(n for _b, n in ours['weekly'])}"
        )
        if different:
            for name in different:
                print(f"  differs: {name}: ours {ours[name]!r}, baseline {theirs.get(name)!r}")
            raise BenchError(f"the dashboard and the baseline disagree on {different}")
        print("numbers: the dashboard and the baseline agree")

        for _ in range(2):  # warm-up: connections, templates, signed agreement texts
            response = client.get(url)
            if response.status_code != 200:
                raise BenchError(f"GET {url} answered {response.status_code}")
            baseline_page(params, template)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        queries = len(captured)
        size = len(response.content)

        ours_ms, base_ms = [], []
        for _ in range(options.repeat):
            ms, response = timed(lambda: client.get(url))
            if response.status_code != 200:
                raise BenchError(f"GET {url} answered {response.status_code}")
            ours_ms.append(ms)
            ms, html = timed(lambda: baseline_page(params, template))
            base_ms.append(ms)
        ours_median = statistics.median(ours_ms)
        base_median = statistics.median(base_ms)
        ratio = ours_median / base_median

        print(f"\n{'':>10} {'median ms':>10} {'min ms':>8} {'max ms':>8} {'bytes':>8}")
        print(
            f"{'dashboard':>10} {ours_median:>10.1f} {min(ours_ms):>8.1f} {max(ours_ms):>8.1f} "
            f"{size:>8}"
        )
        print(
            f"{'baseline':>10} {base_median:>10.1f} {min(base_ms):>8.1f} {max(base_ms):>8.1f} "
            f"{len(html):>8}"
        )
        print(f"\n{options.repeat} requests each, alternating; dashboard queries: {queries}")
        if options.profile:
            profile_request(client, url)
        print(
            f"RESULT dashboard_ms={ours_median:.1f} baseline_ms={base_median:.1f} "
            f"ratio={ratio:.2f} queries={queries}"
        )
        return 0
    finally:
        from django.db import connections

        connections.close_all()
        if not options.keep:
            database(DB_NAME, "drop")
        else:
            print(f"kept: database {DB_NAME}")
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        sys.exit(1)
