"""Email alerts without an account: subscribe (a confirmation mail is sent, nothing stored),
confirm (the subscription is stored), unsubscribe (it is deleted)."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from alerts import mail
from alerts.forms import SubscribeForm
from alerts.models import EmailSubscription, Frequency
from alerts.throttles import SubscribeThrottle
from atlas.errors import error_response
from changes.models import Significance
from changes.scopes import UnknownScope, resolve_scope


@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request):
    if request.method != "POST":
        kind, _, key = request.GET.get("scope", "all").partition(":")
        try:
            scope = resolve_scope(kind, key)
        except UnknownScope as error:
            raise Http404(str(error)) from None
        form = SubscribeForm(initial={"scope": scope.tag})
        return _form_page(request, form, scope, 200)
    if refused := SubscribeThrottle().refused(
        request, "Too many subscription requests; try later."
    ):
        return refused
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        scope = getattr(form, "resolved_scope", None)
        return _form_page(request, form, scope, 400)
    choices = mail.Choices(
        email=form.cleaned_data["email"],
        scope_kind=form.resolved_scope.kind,
        scope_key=form.resolved_scope.key,
        frequency=form.cleaned_data["frequency"],
        minimum=form.cleaned_data["minimum"],
    )
    query = f"?token={mail.confirm_token(choices)}"
    try:
        mail.send_confirmation(
            choices,
            scope_title=form.resolved_scope.title,
            confirm_url=request.build_absolute_uri(reverse("alerts:confirm") + query),
        )
    except (OSError, smtplib.SMTPException):
        return error_response(request, 503, "The confirmation mail could not be sent; try later.")
    context = {"scope": form.resolved_scope, "days": settings.ALERTS_CONFIRM_DAYS}
    return render(request, "alerts/emailsubscription_sent.html", context)


def _form_page(request, form, scope, status):
    return render(
        request, "alerts/emailsubscription_form.html", {"form": form, "scope": scope}, status=status
    )


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request):
    """GET shows what would be confirmed (mail scanners follow links); POST confirms it."""
    try:
        choices = mail.read_confirm_token(request.GET.get("token", ""))
        scope = resolve_scope(choices.scope_kind, choices.scope_key)
        Frequency(choices.frequency), Significance(choices.minimum)
    except (mail.BadToken, UnknownScope, ValueError) as error:
        return error_response(request, 400, str(error) or "This link is not valid.")
    context = {"choices": choices, "scope": scope, "frequency": Frequency(choices.frequency)}
    if request.method == "POST":
        context["subscription"] = mail.confirm(choices)
    return render(request, "alerts/emailsubscription_confirm.html", context)


# One-click unsubscribe (RFC 8058): mail clients POST here without a CSRF token. The signed
# token in the URL is what authorizes it, so the CSRF check is lifted for this route only.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request):
    """GET asks to confirm; POST (the page's button, or a mail client's one click) deletes the
    subscription. Unsubscribing twice is not an error."""
    try:
        pk = mail.read_unsubscribe_token(request.GET.get("token", ""))
    except mail.BadToken as error:
        return error_response(request, 400, str(error))
    subscription = EmailSubscription.objects.filter(pk=pk).first()
    context = {"subscription": subscription, "token": request.GET["token"], "done": False}
    if request.method == "POST":
        EmailSubscription.objects.filter(pk=pk).delete()
        context["done"] = True
    return render(request, "alerts/emailsubscription_delete.html", context)
