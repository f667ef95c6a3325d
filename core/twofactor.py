"""Optional two-factor login with TOTP codes (django-otp; docs/decisions/0027).

Who must give a code after the password:

- everyone who enrolled an authenticator app (opt-in, at /accounts/2fa/enrol/);
- everyone ``OTP_REQUIRED_FOR`` names: ``superuser``, ``staff`` or a role
  (``leader``, ``sysadmin``, …: a role is the Django group of that name,
  which governance keeps in step with active posts).

The answer is worked out once, at login, and kept in the session, so a
request costs no extra query. Until such a person has given a code, every
page sends them to the code page (or to enrolment, if they have no device
yet), the API answers 403 ``otp_required``, and the admin refuses them.
Tokens and API keys (programs) are not asked for codes.
"""

from __future__ import annotations

from base64 import b32encode
from collections.abc import Callable
from typing import Any

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.admin import AdminSite
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_logged_in
from django.core import checks
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_htmx.http import HttpResponseClientRedirect
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.admin import OTPAdminSite
from django_otp.plugins.otp_totp.models import TOTPDevice

#: Session key: does this session's person have to give a code?
REQUIRED_KEY = "_otp_required"
#: Words of ``OTP_REQUIRED_FOR`` that are not role names.
ACCOUNT_KINDS = frozenset({"superuser", "staff"})

INVALID_CODE = _("That code is not right. Enter the 6 digits your app shows now.")
TOO_MANY_CODES = _("Too many wrong codes. Wait a minute, then try again.")
CODE_REQUIRED = _("Enter the code from your authenticator app to continue.")


# --- who must give a code ------------------------------------------------------


def has_device(user: Any) -> bool:
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()


def policy_requires(user: Any) -> bool:
    """Does ``OTP_REQUIRED_FOR`` (or an enrolled device) require a code of ``user``?"""
    if not user.is_authenticated:
        return False
    wanted = set(getattr(settings, "OTP_REQUIRED_FOR", ()) or ())
    if ("superuser" in wanted and user.is_superuser) or ("staff" in wanted and user.is_staff):
        return True
    roles = wanted - ACCOUNT_KINDS
    if roles and user.groups.filter(name__in=roles).exists():
        return True
    return has_device(user)


@receiver(user_logged_in, dispatch_uid="core.twofactor.remember_requirement")
def _remember_requirement(sender: Any, request: HttpRequest | None, user: Any, **kw: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[REQUIRED_KEY] = policy_requires(user)


def otp_required(request: HttpRequest) -> bool:
    """Must the person of this session give a code? (worked out at login)"""
    user = request.user
    if not user.is_authenticated:
        return False
    required = request.session.get(REQUIRED_KEY)
    if not isinstance(required, bool):  # a session from before this rule
        required = policy_requires(user)
        request.session[REQUIRED_KEY] = required
    return required


def needs_verification(request: HttpRequest) -> bool:
    """Logged in with the password, but still owing a code."""
    user: Any = request.user
    if not user.is_authenticated or not otp_required(request):
        return False
    is_verified = getattr(user, "is_verified", None)
    return not (is_verified is not None and is_verified())


def _next(request: HttpRequest, fallback: str) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return fallback


def verify_url(next_url: str) -> str:
    return f"{reverse('otp-verify')}?{urlencode({'next': next_url})}"


# --- the gate ------------------------------------------------------------------


class RequireOTPMiddleware:
    """Sends a person who owes a code to the code page. After
    ``django_otp.middleware.OTPMiddleware`` and the message middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def _open_paths(self) -> tuple[str, ...]:
        return (
            reverse("login"),
            reverse("logout"),
            reverse("otp-verify"),
            reverse("otp-enrol"),
            reverse("set_language"),
            reverse("admin:logout"),
            reverse("healthz"),
            "/" + settings.STATIC_URL.lstrip("/"),
        )

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not needs_verification(request) or request.path.startswith(self._open_paths()):
            return self.get_response(request)
        if request.path.startswith(("/api/", "/open311/")):
            body = {
                "code": "otp_required",
                "message": str(CODE_REQUIRED),
                "extra": {"verify_url": reverse("otp-verify")},
            }
            return JsonResponse(body, status=403)
        target = verify_url(request.get_full_path())
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(target)
        return redirect(target)


class PortalAdminSite(OTPAdminSite):
    """django-otp's admin site, with its rule made conditional: staff who
    must give a code (see the module docstring) get in only once they have;
    everyone else logs in with the password as before. The code is asked on
    the portal's code page, the same one the other pages use."""

    login_form = None  # the admin's own password form; the code comes next
    login_template = None

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

    def has_permission(self, request: HttpRequest) -> bool:
        return AdminSite.has_permission(self, request) and not needs_verification(request)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        if request.user.is_authenticated and needs_verification(request):
            return redirect(verify_url(_next(request, reverse("admin:index"))))
        return super().login(request, extra_context)


# --- pages ---------------------------------------------------------------------


class CodeForm(forms.Form):
    token = forms.RegexField(
        label=_("Code"),
        regex=r"^\d{6,8}$",
        error_messages={"invalid": INVALID_CODE},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


@never_cache
@sensitive_post_parameters("token")
@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Ask the code of a person who logged in with the password."""
    done = _next(request, reverse("home"))
    if not needs_verification(request):
        return redirect(done)
    device = TOTPDevice.objects.filter(user_id=request.user.pk, confirmed=True).first()
    if device is None:
        return redirect(f"{reverse('otp-enrol')}?{urlencode({'next': done})}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _extra = device.verify_is_allowed()
        if not allowed:
            form.add_error("token", TOO_MANY_CODES)
        elif verify_token(request.user, device.persistent_id, form.cleaned_data["token"]):
            otp_login(request, device)
            return redirect(done)
        else:
            form.add_error("token", INVALID_CODE)
    return render(request, "registration/otp_verify.html", {"form": form, "next": done})


@never_cache
@sensitive_post_parameters("token")
@login_required
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """Add an authenticator app: show its secret, confirm it with one code."""
    user: Any = request.user
    done = _next(request, reverse("home"))
    if has_device(user):
        if needs_verification(request):
            return redirect(verify_url(done))
        return render(request, "registration/otp_enrol.html", {"enrolled": True, "next": done})
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="default", confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            request.session[REQUIRED_KEY] = True  # opted in: a code from now on
            messages.success(request, gettext("Two-factor login is on for your account."))
            return redirect(done)
        form.add_error("token", INVALID_CODE)
    context = {
        "form": form,
        "next": done,
        "secret": b32encode(device.bin_key).decode(),
        "otpauth_url": device.config_url,
        "required": otp_required(request),
    }
    return render(request, "registration/otp_enrol.html", context)


# --- configuration check -------------------------------------------------------


@checks.register(checks.Tags.security)
def check_otp_required_for(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every word of ``OTP_REQUIRED_FOR`` must be an account kind or a role."""
    try:
        role_field = apps.get_model("governance", "Post")._meta.get_field("role")
    except LookupError:
        return []
    known = ACCOUNT_KINDS | {str(value) for value, _label in role_field.choices or ()}
    unknown = sorted(set(getattr(settings, "OTP_REQUIRED_FOR", ()) or ()) - known)
    if not unknown:
        return []
    return [
        checks.Error(
            f"OTP_REQUIRED_FOR names {', '.join(unknown)}: use superuser, staff or a role "
            f"({', '.join(sorted(known - ACCOUNT_KINDS))}).",
            id="core.E027",
        )
    ]
