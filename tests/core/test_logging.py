import json
import logging

from core.logging import MaskPersonalDataFilter, mask_id_number, mask_phone, mask_text


def test_masks():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("") == ""
    assert mask_phone("8512345") == "*****45"  # landlines keep at most a third
    assert mask_phone("04738512345") == "047****2345"
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_text("call 13812345678 id 11010519491231002X grid 150302001001001") == (
        "call 138****5678 id 110105********002X grid 150302001001001"
    )


def test_the_filter_masks_messages_and_arguments():
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "reporter %s said %s", ("13812345678", "hi"), None
    )
    MaskPersonalDataFilter().filter(record)
    assert record.getMessage() == "reporter 138****5678 said hi"


def test_one_json_line_per_request(db, client, settings, capsys):
    from django.utils.log import configure_logging

    logging_config = dict(settings.LOGGING)
    logging_config["handlers"] = {
        "stdout": {
            **settings.LOGGING["handlers"]["stdout"],
            "formatter": "json",
            "stream": "ext://sys.stdout",
        }
    }
    configure_logging(settings.LOGGING_CONFIG, logging_config)
    try:
        capsys.readouterr()
        client.get("/healthz?phone=13812345678")
        lines = [
            line for line in capsys.readouterr().out.splitlines() if '"gridgov.request"' in line
        ]
    finally:
        configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["path"] == "/healthz"
    assert entry["status"] == 200
    assert entry["method"] == "GET"
    assert isinstance(entry["duration_ms"], float)
    assert len(entry["request_id"]) == 32
    assert "13812345678" not in lines[0]
