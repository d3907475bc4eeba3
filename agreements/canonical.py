"""The canonical form of an agreement: exactly what a signature covers.

One JSON document with sorted keys and no insignificant whitespace, holding the
organisation, program, template version, the parties, every clause's text and every
field's value. Its SHA-256 is what each signature records; any change to a clause or a
value changes it. The signed agreement keeps the text itself (`signed_content`), so the
PDF and any later check read exactly what was signed, not what the tables say now.
"""

import hashlib
import json

FORMAT = "peercoach-agreement/1"


def document(*, agreement, template, items, parties, values):
    """The canonical dict. `parties`: MatchMembers in order with users; `values`:
    {(item_id, party_id or None): value}."""
    organization = agreement.organization
    program = agreement.program
    # The language it is issued in; left out for one made before there were languages
    # (English), so that the texts they signed keep their SHA-256.
    language = {"language": agreement.language} if agreement.language else {}
    return {
        **language,
        "format": FORMAT,
        "organization": {"slug": organization.slug, "name": organization.name},
        "program": {"id": program.pk, "name": program.name, "format": program.format},
        "agreement": {"id": agreement.pk, "number": agreement.number},
        "template": {
            "id": template.pk,
            "version": template.version,
            "title": template.title,
            "introduction": template.introduction,
            "coordinator_sees_pdf": agreement.coordinator_sees_pdf,
        },
        "parties": [
            {
                "user_id": member.user_id,
                "name": member.user.display_name,
                "email": member.user.email,
                "role": member.role,
            }
            for member in parties
        ],
        "items": [
            {
                "key": item.key,
                "kind": item.kind,
                "title": item.title,
                "body": item.body,
                "required": item.required,
                "per_party": item.per_party,
                "choices": item.choices,
                "purpose": item.purpose,
                **(
                    {}
                    if not item.is_field
                    else {
                        "values": [
                            {
                                "user_id": member.user_id,
                                "value": values.get((item.pk, member.user_id)),
                            }
                            for member in parties
                        ]
                    }
                    if item.per_party
                    else {"value": values.get((item.pk, None))}
                ),
            }
            for item in items
        ],
    }


def document_language(doc):
    """The language a canonical document was issued in: its "language", else English."""
    return doc.get("language") or "en"


def serialise(doc):
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_text(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
