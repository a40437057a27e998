from django import forms

from alerts.models import MINIMUM_CHOICES, Frequency
from changes.models import Significance
from changes.scopes import UnknownScope, resolve_scope


class SubscribeForm(forms.Form):
    """An address, the scope followed (``platform:openai``, ``document:openai/terms``, …), how
    often, and the least significant change worth a mail."""

    email = forms.EmailField(max_length=254, label="Email address")
    scope = forms.CharField(max_length=220, widget=forms.HiddenInput)
    frequency = forms.ChoiceField(
        choices=Frequency.choices, initial=Frequency.IMMEDIATELY, widget=forms.RadioSelect
    )
    minimum = forms.ChoiceField(
        choices=MINIMUM_CHOICES,
        initial=Significance.SUBSTANTIVE,
        widget=forms.RadioSelect,
        label="Which changes",
    )

    def clean_scope(self):
        kind, _, key = self.cleaned_data["scope"].partition(":")
        try:
            self.resolved_scope = resolve_scope(kind, key)
        except UnknownScope as error:
            raise forms.ValidationError(str(error)) from None
        return self.cleaned_data["scope"]

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()
