"""Two-factor login pages under /accounts/2fa/ (core.twofactor)."""

from django.urls import path

from core import twofactor

urlpatterns = [
    path("", twofactor.otp_verify, name="otp-verify"),
    path("enrol/", twofactor.otp_enrol, name="otp-enrol"),
]
