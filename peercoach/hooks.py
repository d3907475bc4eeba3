"""Cross-app reactions, listed in `settings.HOOKS` so that the whole flow reads in one place.

A hook is the dotted path of a callable that takes keyword arguments only. `hooks_run(name,
**kwargs)` calls every hook listed under `name`, synchronously, in the caller's transaction
and in the listed order, and returns their answers in that order. An exception propagates
to the caller, so a reaction that fails undoes the whole change (all or nothing). It is the
mechanism of `REMINDER_RULES`: a low app says what happened without importing the apps above
it that react to it.
"""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string


@cache
def _imported(paths):
    # Keyed on the paths themselves, not the hook's name, so that a test's
    # override_settings(HOOKS=...) is obeyed without clearing anything.
    return tuple(import_string(path) for path in paths)


def hooks_run(name, /, **kwargs):
    """Call the hooks `settings.HOOKS[name]` with `kwargs`, in order; returns their answers.

    Raises KeyError when `name` is not in `settings.HOOKS` (a hook nobody listed is a
    mistake, not a no-op: list it with an empty list when nothing reacts); whatever a hook
    raises propagates, and the hooks after it do not run.
    """
    try:
        paths = settings.HOOKS[name]
    except KeyError:
        raise KeyError(
            f"settings.HOOKS has no hook {name!r}: list its callables there "
            "(an empty list when nothing reacts)."
        ) from None
    return [hook(**kwargs) for hook in _imported(tuple(paths))]
