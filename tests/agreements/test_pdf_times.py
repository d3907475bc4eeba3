"""The signed PDF gives every time in the signers' zone with its offset from UTC.

A real PDF is rendered (WeasyPrint) and sealed, its text extracted with pdftotext, and its
first and last pages drawn with pdftoppm (kept in /tmp/shots-agreements/ to look at).
"""

import datetime
import shutil
import subprocess
from pathlib import Path

import pytest

from agreements.models import AgreementEvent, Signature
from tests.agreements.test_documents import (  # noqa: F401 - fixtures
    _files,
    issue,
    pdf_bytes,
    pdf_pages,
    signed,
)

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
SHOTS = Path("/tmp/shots-agreements")  # noqa: S108 - where the lead looks at pictures


def at(*args):
    return datetime.datetime(*args, tzinfo=UTC)


def pin_times(pair, *, pat, robin, completed):
    """Give the signatures and events known times (the PDF reads them from the tables)."""
    Signature.objects.filter(agreement=pair.agreement, signer=pair.a).update(signed_at=pat)
    Signature.objects.filter(agreement=pair.agreement, signer=pair.b).update(signed_at=robin)
    AgreementEvent.objects.filter(agreement=pair.agreement).update(at=completed)
    pair.agreement.__class__.objects.filter(pk=pair.agreement.pk).update(signed_at=completed)


def draw(data, tmp_path, name, count):
    """First and last page as PNGs, for a person to look at."""
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    SHOTS.mkdir(parents=True, exist_ok=True)
    drawn = []
    for number in sorted({1, count}):
        prefix = tmp_path / f"{name}-page-{number}"
        subprocess.run(
            ["pdftoppm", "-png", "-r", "70", "-f", str(number), "-l", str(number)]
            + ["-singlefile", str(path), str(prefix)],
            check=True,
            capture_output=True,
        )
        png = prefix.with_suffix(".png")
        shutil.copy(png, SHOTS / png.name)
        drawn.append(png)
    return drawn


def test_each_signature_in_its_signers_zone_and_the_rest_in_the_organisations(signed, tmp_path):  # noqa: F811
    pair = signed
    pair.org.time_zone = "Europe/Berlin"
    pair.org.save()
    pair.a.time_zone = "America/New_York"  # Pat chose a zone; Robin keeps the organisation's
    pair.a.save()
    pin_times(
        pair,
        pat=at(2026, 12, 3, 13, 5),
        robin=at(2026, 12, 3, 13, 7),
        completed=at(2026, 7, 1, 9, 30),  # summer time: Berlin is two hours ahead
    )
    data = pdf_bytes(issue(pair))
    pages = pdf_pages(data, tmp_path)
    text = " ".join("\n".join(pages).split())
    signatures = text[text.index("Signatures") : text.index("Audit trail")]
    assert "3 Dec 2026, 08:05 (UTC-05:00)" in signatures  # Pat, in New York
    assert "America/New_York" in signatures
    assert "3 Dec 2026, 14:07 (UTC+01:00)" in signatures  # Robin, in Berlin
    assert "Europe/Berlin" in signatures
    assert "(UTC)" not in text and "Z " not in text
    # The signers differ, so the document's own times are in the organisation's zone.
    assert "Signed by everyone 1 Jul 2026, 11:30 (UTC+02:00)" in text
    audit = " ".join(pages[-1].split())
    assert "Audit trail" in audit
    assert "Times are in the Europe/Berlin time zone, each with its offset from UTC." in audit
    assert audit.count("1 Jul 2026, 11:30 (UTC+02:00)") >= 10  # every event
    assert all(png.stat().st_size for png in draw(data, tmp_path, "agreement-times", len(pages)))


def test_signers_who_share_a_zone_read_every_time_in_it(signed, tmp_path):  # noqa: F811
    pair = signed
    for user in (pair.a, pair.b):
        user.time_zone = "Asia/Kolkata"
        user.save()
    pin_times(
        pair,
        pat=at(2026, 12, 3, 13, 5),
        robin=at(2026, 12, 3, 13, 7),
        completed=at(2026, 12, 3, 13, 7),
    )
    text = " ".join("\n".join(pdf_pages(pdf_bytes(issue(pair)), tmp_path)).split())
    assert "3 Dec 2026, 18:35 (UTC+05:30)" in text
    assert "Signed by everyone 3 Dec 2026, 18:37 (UTC+05:30)" in text
    assert "Times are in the Asia/Kolkata time zone" in text
