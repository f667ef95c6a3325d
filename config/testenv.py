"""pytest plugin loaded with ``-p config.testenv`` before Django starts.

Tests run with DEBUG off (the production code paths) but over plain HTTP, so
they need a key and no HTTPS redirect. Real environment values win.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-" + "k" * 60)
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
os.environ.setdefault("LOG_FORMAT", "console")
os.environ.setdefault("STATIC_MANIFEST", "false")
os.environ.setdefault(
    "VAR_DIR", os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "test")
)
