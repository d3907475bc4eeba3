"""The agreement a pair's members see next to the pair on their own pages (the home, the
program page): the one in force, else the one being filled, with its valid signatures
counted. Pages of other apps load it through `agreements_for_pairs_prefetch` (many pairs,
one query) or the `match_agreement` template tag (one pair)."""

from django.db.models import Case, Count, Prefetch, Q, When

from ..models import Agreement


def agreements_for_pairs():
    """Agreements neither superseded nor withdrawn, each with `signed_count`, the one in
    force first (its page links to an amendment being prepared), then the newest."""
    return (
        Agreement.objects.exclude(
            status__in=[Agreement.Status.SUPERSEDED, Agreement.Status.WITHDRAWN]
        )
        .annotate(signed_count=Count("signatures", filter=Q(signatures__voided_at__isnull=True)))
        .order_by(Case(When(status=Agreement.Status.SIGNED, then=0), default=1), "-number")
    )


def agreements_for_pairs_prefetch():
    """`Match.agreements` as `agreements_for_pairs`: the first is the one to show. One
    query for every match it is applied to."""
    return Prefetch("agreements", queryset=agreements_for_pairs())


def agreement_for_pair(match):
    """The agreement to show for `match`: from `agreements_for_pairs_prefetch` when the
    page loaded it, else one query."""
    cache = getattr(match, "_prefetched_objects_cache", {})
    if "agreements" in cache:
        return next(iter(cache["agreements"]), None)
    return (
        agreements_for_pairs()
        .filter(organization_id=match.organization_id, match_id=match.pk)
        .first()
    )
