"""Settings come from the environment; a bad value stops the start, naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start(**env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL"}
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DEBUG": "false", "SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"DEBUG": "true", "DATABASE_URL": "mongodb://x/y"}, "DATABASE_URL"),
        ({"DEBUG": "true", "CELERY_BROKER_URL": "amqp://guest@x//"}, "CELERY_BROKER_URL"),
        ({"DEBUG": "true", "DB_CONN_MAX_AGE": "forever"}, "DB_CONN_MAX_AGE"),
        ({"DEBUG": "true", "LOG_FORMAT": "xml"}, "LOG_FORMAT"),
        ({"DEBUG": "true", "SMS_GATEWAY_URL": "sms.example.cn/send"}, "SMS_GATEWAY_URL"),
        (
            {"DEBUG": "true", "SMS_GATEWAY_URL": "https://sms.example.cn/send"},
            "SMS_ACCESS_KEY_ID",
        ),
        (
            {
                "DEBUG": "true",
                "SMS_GATEWAY_URL": "https://sms.example.cn/send",
                "SMS_ACCESS_KEY_ID": "id",
                "SMS_ACCESS_KEY_SECRET": "secret",
                "SMS_SIGN_NAME": "网格治理",
            },
            "SMS_TEMPLATE_CODE",
        ),
        ({"DEBUG": "true", "SMS_BACKEND": "http"}, "SMS_BACKEND"),
    ],
)
def test_a_wrong_value_fails_at_start_naming_the_variable(env, variable):
    result = start(**env)
    assert result.returncode != 0
    assert f'"{variable}"' in result.stderr, result.stderr[-800:]


def test_the_embedded_default_needs_no_variables_in_debug():
    result = start(DEBUG="true")
    assert result.returncode == 0, result.stderr[-800:]


def test_a_complete_sms_gateway_setting_starts():
    result = start(
        DEBUG="true",
        SMS_GATEWAY_URL="https://sms.example.cn/send",
        SMS_ACCESS_KEY_ID="id",
        SMS_ACCESS_KEY_SECRET="secret",
        SMS_SIGN_NAME="网格治理",
        SMS_TEMPLATE_CODE="SMS_0024",
    )
    assert result.returncode == 0, result.stderr[-800:]


def test_every_variable_read_by_settings_is_documented_in_env_example():
    import re

    source = (ROOT / "config" / "settings.py").read_text()
    read = set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', source))
    documented = set(re.findall(r"^#?\s*([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read, "no env reads found"
    assert read <= documented, f"undocumented: {sorted(read - documented)}"
