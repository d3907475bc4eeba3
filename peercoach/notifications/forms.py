from django import forms


class PreferencesForm(forms.Form):
    """One checkbox per kind the member may receive; an unticked box turns the kind off."""

    def __init__(self, *args, kinds, current, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in kinds:
            self.fields[kind] = forms.BooleanField(
                label=label, required=False, initial=current.get(kind, True)
            )
