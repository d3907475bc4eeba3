import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scope

from peercoach.accounts.models import Invitation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _commit(commit):
    global _on_commit
    _on_commit = commit


def _upload(client, org, text, name="people.csv"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    with _on_commit():
        return client.post(
            reverse("accounts:invite_csv", kwargs={"org_slug": org.slug}),
            {"file": SimpleUploadedFile(name, data, content_type="text/csv")},
        )


def test_good_file_invites_everyone(client_for, coordinator, org):
    text = (
        "email,role,first_name,last_name\n"
        "a@example.org,participant,Ann,A\n"
        "b@example.org,,Bo,B\n"
        "\n"
        "c@example.org,coordinator,Cy,C\n"
    )
    response = _upload(client_for(coordinator), org, text)
    assert response.status_code == 302
    with scope(organization=org):
        roles = dict(Invitation.objects.values_list("email", "role"))
    assert roles == {
        "a@example.org": "participant",
        "b@example.org": "participant",
        "c@example.org": "coordinator",
    }
    assert sorted(m.to[0] for m in mail.outbox) == [
        "a@example.org",
        "b@example.org",
        "c@example.org",
    ]


def test_semicolons_and_bom_are_accepted(client_for, coordinator, org):
    text = "\ufeffEmail;Role\nd@example.org;participant\n"
    assert _upload(client_for(coordinator), org, text).status_code == 302
    with scope(organization=org):
        assert Invitation.objects.filter(email="d@example.org").exists()


def test_every_bad_row_is_reported_and_nothing_is_created(
    client_for, coordinator, participant, org
):
    text = (
        "email,role,first_name\n"
        "ok@example.org,participant,Ok\n"  # line 2: fine
        "not-an-email,participant,X\n"  # line 3
        "y@example.org,boss,Y\n"  # line 4
        "ok@example.org,participant,Again\n"  # line 5: duplicate of line 2
        f"{participant.email},participant,Member\n"  # line 6: already a member
        "z@example.org,participant,Z,extra\n"  # line 7: too many cells
    )
    response = _upload(client_for(coordinator), org, text)
    assert response.status_code == 400
    body = response.content.decode()
    assert "5 problems" in body
    for line, fragment in [
        (3, "not a valid email"),
        (4, "boss"),
        (5, "also appears on line 2"),
        (6, "already a member"),
        (7, "More cells than columns"),
    ]:
        assert f"Line {line}:" in body and fragment in body
    with scope(organization=org):
        assert not Invitation.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The submitted file is empty"),
        (b"name,role\nAnn,participant\n", "include \u201cemail\u201d"),
        (b"email,team\na@example.org,x\n", "Unknown column"),
        (b"email\n", "no rows below the header"),
        ("email\nm\xfcller@example.org\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_unusable_files_get_a_clear_message(client_for, coordinator, org, content, message):
    response = _upload(client_for(coordinator), org, content)
    assert response.status_code == 400
    assert message in response.content.decode()
    with scope(organization=org):
        assert not Invitation.objects.exists()


def test_open_invitation_in_file_is_an_error(client_for, coordinator, org):
    client = client_for(coordinator)
    assert _upload(client, org, "email\nq@example.org\n").status_code == 302
    response = _upload(client, org, "email\nr@example.org\nq@example.org\n")
    assert response.status_code == 400
    assert b"Line 3:" in response.content and b"already has an open invitation" in response.content
    with scope(organization=org):
        assert not Invitation.objects.filter(email="r@example.org").exists()


def test_a_header_in_spanish_imports_in_an_english_session(client_for, coordinator, org):
    """Titles of any configured language name the columns, as the codes still do."""
    text = "Correo electrónico;Rol;Nombre;Apellidos\ne@example.org;coordinator;Eva;Ruiz\n"
    assert _upload(client_for(coordinator), org, text).status_code == 302
    with scope(organization=org):
        invitation = Invitation.objects.get(email="e@example.org")
    assert invitation.role == "coordinator"


def test_an_unknown_column_is_named_with_the_titles_allowed(client_for, coordinator, org):
    coordinator.language = "es"
    coordinator.save(update_fields=["language"])
    response = _upload(client_for(coordinator), org, "email,Teléfono\nf@example.org,555\n")
    assert response.status_code == 400
    (error,) = response.context["errors"]
    assert "Teléfono" in error.message
    assert "Correo electrónico" in error.message
    with scope(organization=org):
        assert not Invitation.objects.exists()
