"""Signed agreement PDFs: our issuing path against bare WeasyPrint + pyHanko.

In one process, against a throwaway SQLite database in a temporary directory (deleted
afterwards, `--keep` keeps it): migrates, builds N signed agreements through the real
services (filled, signed by both parties, the PDF task held back), then times

  ours:  agreements.services.documents.agreement_pdf_issue for each agreement: lock the
         row, read signed content, signatures and audit trail, render the template,
         WeasyPrint, pyHanko seal, store the file, read it back, record it;
  bare:  weasyprint.HTML(string=html).write_pdf(stylesheets=[CSS(string=css)]) on exactly
         the HTML strings our path rendered (captured during its run), and a pyHanko seal
         with the same certificate and signature options.

In-process rather than a subprocess per side: both sides then share one interpreter, one
font cache and one disk, so the ratio measures our overhead and nothing else.

Run: .venv/bin/python bench/pdf.py [--count 200] [--sample var/sample.pdf] [--keep]
Last line: RESULT ours_pdfs_per_s=<float> bare_pdfs_per_s=<float> ratio=<float>
(ratio = our time / bare time). See bench/README.md.
"""

import argparse
import io
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from unittest import mock

BASE_DIR = Path(__file__).resolve().parent.parent
# Run as a script, bench/ comes first on sys.path, where http.py would shadow the standard
# library's `http`; the project root is what this script needs instead.
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [str(BASE_DIR)] + [p for p in sys.path if str(Path(p or ".").resolve()) != _HERE]

WARMUP = 5
# Variables that would point the run at other services or settings than the bench's own.
DROPPED_ENV = {
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_HOST",
    "EMAIL_BACKEND",
    "SITE_URL",
    "STATIC_ROOT",
    "MEDIA_ROOT",
    "PEERCOACH_VAR_DIR",
    "DJANGO_SETTINGS_MODULE",
    "DEBUG",
    "SECRET_KEY",
    "SEAL_PKCS12",
    "SEAL_PASSWORD",
    "SEAL_ORG_PKCS12",
    "SEAL_DIR",
    "LOG_LEVEL",
}

CLAUSES = [
    (
        "Confidentiality",
        "What we say in our sessions stays between us.\n\n"
        "- unless someone is at risk of harm\n- unless the law requires otherwise",
    ),
    (
        "How we work together",
        "We come prepared, we start on time, and we let each other know at least a day "
        "ahead when a session has to move.\n\nEach session belongs to one of us at a time: "
        "the other listens, asks open questions and does not give advice unless asked.",
    ),
    (
        "Ending the partnership",
        "Either of us may end the partnership at any time, without giving a reason, by "
        "telling the other and the program team.",
    ),
]
FIELDS = [
    ("frequency", "How often we meet", False, [], {"every": "fortnightly", "other": ""}),
    ("duration", "How long a session lasts", False, [], 90),
    ("single_choice", "Where we meet", False, ["Teams", "Zoom", "In person"], "Zoom"),
    ("date", "Our first session", False, [], "2027-02-03"),
    ("short_text", "Name", True, [], None),
    ("short_text", "Best time to reach me", True, [], "Mornings before 10"),
    (
        "long_text",
        "My primary objective",
        True,
        [],
        "Delegate more of the day-to-day work and make room for planning.",
    ),
    (
        "bullet_list",
        "Our social contract",
        False,
        [],
        ["Be on time", "Cameras on", "No phones", "Say when something does not work"],
    ),
]


def configure(workdir):
    for name in DROPPED_ENV:
        os.environ.pop(name, None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="peercoach.settings",
        PEERCOACH_VAR_DIR=str(workdir),
        SECRET_KEY=secrets.token_urlsafe(40),
        DEBUG="false",
        SITE_URL="https://peercoach.example.org",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def logo_png():
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (240, 72), "#ffffff")
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, 64, 64), fill="#7a1f5c")
    draw.rectangle((80, 24, 228, 48), fill="#7a1f5c")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def build(count):
    """`count` agreements signed by both parties, through the services; returns (org, ids)."""
    from django.core.files.base import ContentFile
    from django_scopes import scope

    from agreements.models import AgreementItem, AgreementTemplate
    from agreements.selectors.agreement import canonical_text
    from agreements.services.common import Actor
    from agreements.services.create import agreement_create
    from agreements.services.fill import value_save
    from agreements.services.sign import agreement_sign
    from agreements.tasks import agreement_pdf_render
    from peercoach.accounts.models import User
    from peercoach.notifications.services import messages_muted
    from peercoach.tenancy.models import Membership, Organization
    from programs.models import Match, MatchMember, Program

    organization = Organization.objects.create(
        slug="bench-university", name="Bench University", brand_colour="#7a1f5c"
    )
    organization.logo.save("bench.png", ContentFile(logo_png()))
    ids = []
    # The services queue the PDF and emails after commit; here the bench issues the PDFs.
    with (
        scope(organization=organization),
        mock.patch.object(agreement_pdf_render, "delay"),
        messages_muted(),
    ):
        program = Program.objects.create(
            organization=organization,
            name="Peer Coaching 2027",
            format=Program.Format.RECIPROCAL,
            status=Program.Status.RUNNING,
            term_start=date(2027, 1, 11),
            term_end=date(2027, 1, 11) + timedelta(days=180),
        )
        template = AgreementTemplate.objects.create(
            organization=organization,
            program=program,
            introduction="This agreement sets out how we will work together this term.",
        )
        position = 0
        values = {}
        for title, body in CLAUSES:
            AgreementItem.objects.create(
                organization=organization,
                template=template,
                position=position,
                kind="clause",
                title=title,
                body=body,
            )
            position += 1
        for kind, title, per_party, choices, value in FIELDS:
            item = AgreementItem.objects.create(
                organization=organization,
                template=template,
                position=position,
                kind=kind,
                title=title,
                per_party=per_party,
                choices=choices,
                required=False,
                purpose="party_name" if title == "Name" else "",
            )
            values[item] = value
            position += 1
        for index in range(count):
            users = []
            for side, first in (("a", "Alex"), ("b", "Sam")):
                user = User.objects.create_user(
                    email=f"{side}{index:04}@bench.example.org",
                    first_name=first,
                    last_name=f"Example{index:04}",
                )
                Membership.objects.create(
                    organization=organization, user=user, role=Membership.Role.PARTICIPANT
                )
                users.append(user)
            match = Match.objects.create(
                organization=organization, program=program, status=Match.Status.ACTIVE
            )
            for place, user in enumerate(users):
                MatchMember.objects.create(
                    organization=organization,
                    match=match,
                    program=program,
                    user=user,
                    role=MatchMember.Role.PARTNER,
                    position=place,
                    is_current=True,
                )
            agreement = agreement_create(match=match, template=template)
            actors = [
                Actor(user=users[0], ip="198.51.100.4", user_agent="Mozilla/5.0 Firefox/140.0"),
                Actor(user=users[1], ip="2001:db8::7", user_agent="Mozilla/5.0 Safari/18.4"),
            ]
            for item, value in values.items():
                if value is None:
                    continue
                for actor in actors if item.per_party else actors[:1]:
                    value_save(
                        agreement=agreement, item=item, actor=actor, value=value, seen_revision=0
                    )
            for actor in actors:
                agreement_sign(
                    agreement=agreement,
                    actor=actor,
                    typed_name=actor.user.get_full_name(),
                    consent=True,
                    intent=True,
                    seen_sha256=canonical_text(agreement)[1],
                )
            ids.append(agreement.pk)
    return organization, ids


def summary(name, seconds):
    total = sum(seconds)
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return (
        f"{name:<6} {len(seconds):>5} {total:>9.2f} {len(seconds) / total:>9.2f} "
        f"{statistics.median(seconds) * 1000:>8.1f} {p95 * 1000:>8.1f}"
    )


def run(count, sample):
    from django_scopes import scope

    from agreements.models import Agreement
    from agreements.seal import seal_for
    from agreements.services import documents

    started = time.perf_counter()
    organization, ids = build(count + WARMUP)
    print(f"built {len(ids)} signed agreements in {time.perf_counter() - started:.1f} s")

    # Our path, with thin wrappers that only record the HTML and time each stage.
    htmls, stage = [], {"render": 0.0, "seal": 0.0}
    real_render, real_seal = documents.pdf_render, documents.pdf_seal

    def render(html):
        htmls.append(html)
        start = time.perf_counter()
        try:
            return real_render(html)
        finally:
            stage["render"] += time.perf_counter() - start

    def seal(pdf, **kwargs):
        start = time.perf_counter()
        try:
            return real_seal(pdf, **kwargs)
        finally:
            stage["seal"] += time.perf_counter() - start

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
    from weasyprint import CSS, HTML

    certificate_seal = None
    css = documents.stylesheet_text()

    def bare_pdf(html):
        """The baseline: the same HTML string, nothing of ours around it."""
        pdf = HTML(string=html).write_pdf(stylesheets=[CSS(string=css)])
        metadata = signers.PdfSignatureMetadata(
            field_name="Seal",
            subfilter=SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            certify=True,
            docmdp_permissions=MDPPerm.NO_CHANGES,
        )
        return (
            signers.PdfSigner(metadata, signer=certificate_seal.signer)
            .sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)))
            .getvalue()
        )

    # One of ours, then the bare one on the HTML ours just rendered, agreement after
    # agreement: load from anything else on the machine falls on both alike.
    ours, bare, sizes = [], [], []
    with (
        scope(organization=organization),
        mock.patch.object(documents, "pdf_render", render),
        mock.patch.object(documents, "pdf_seal", seal),
    ):
        certificate_seal = seal_for(organization)
        for position, agreement_id in enumerate(ids):
            if position == WARMUP:
                stage = {"render": 0.0, "seal": 0.0}
            start = time.perf_counter()
            documents.agreement_pdf_issue(organization=organization, agreement_id=agreement_id)
            middle = time.perf_counter()
            sealed = bare_pdf(htmls[-1])
            end = time.perf_counter()
            if position >= WARMUP:
                ours.append(middle - start)
                bare.append(end - middle)
                sizes.append(len(sealed))
        issued = list(
            Agreement.objects.filter(organization=organization, pk__in=ids)
            .order_by("pk")
            .values_list("pdf_sha256", "pdf")
        )
    assert len(htmls) == len(ids) and all(sha for sha, _name in issued), "a PDF was not issued"

    if sample:
        from django.core.files.storage import default_storage

        Path(sample).parent.mkdir(parents=True, exist_ok=True)
        with default_storage.open(issued[0][1], "rb") as handle:
            Path(sample).write_bytes(handle.read())
        print(f"sample PDF: {sample}")

    measured = len(ours)
    rest = sum(ours) - stage["render"] - stage["seal"]
    print()
    size = statistics.mean(sizes)
    print(f"{measured} PDFs each (after {WARMUP} warm-up), mean size {size:,.0f} B")
    print(f"{'path':<6} {'pdfs':>5} {'total s':>9} {'pdfs/s':>9} {'p50 ms':>8} {'p95 ms':>8}")
    print(summary("ours", ours))
    print(summary("bare", bare))
    print(
        f"ours by stage: WeasyPrint {stage['render'] / measured * 1000:.1f} ms, "
        f"seal {stage['seal'] / measured * 1000:.1f} ms, "
        f"everything else (database, template, storage) {rest / measured * 1000:.1f} ms per PDF"
    )
    ours_rate, bare_rate = measured / sum(ours), measured / sum(bare)
    ratio = sum(ours) / sum(bare)
    print(
        f"RESULT ours_pdfs_per_s={ours_rate:.2f} bare_pdfs_per_s={bare_rate:.2f} ratio={ratio:.3f}"
    )


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200, help="agreements measured (200)")
    parser.add_argument("--sample", help="also write the first sealed PDF to this path")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return parser.parse_args()


def main():
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="peercoach-bench-pdf-"))
    try:
        configure(workdir)
        run(args.count, args.sample and Path(args.sample).resolve())
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
