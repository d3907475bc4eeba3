"""What sessions do when something happens to a pair in `programs` (`settings.HOOKS`).

Each hook runs inside the caller's transaction; see `peercoach.hooks`."""

from .services.schedule import sessions_on_match_end


def match_ended(*, match, ended_by):
    """The ended pair's sessions still to come are cancelled, with a calendar
    cancellation to each former member but `ended_by` after commit."""
    sessions_on_match_end(match=match, ended_by=ended_by)
