"""Agreements in the person's data export and account deletion (the interface is
described in peercoach.accounts.personal_data).

Nothing of theirs alone: a signed agreement, with its signatures and typed names, is a
record the person shares with their partners and the program team, so deletion keeps it
(it then names a "Former participant"), and the export does not list it.
"""


def tables(*, organization, user):
    """No table."""
    return []


def erase(*, user):
    """Nothing to erase (see above)."""
