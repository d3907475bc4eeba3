"""Small helpers the views of every app share."""

from django.shortcuts import redirect


def form_error(form, exc):
    """Show a service's ValidationError on the form: next to its field when it has one."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def redirect_to(viewname, anchor="", **kwargs):
    """A redirect to `viewname`, optionally to an anchor on that page."""
    response = redirect(viewname, **kwargs)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response
