"""Bad settings are refused before any request, naming the field and what to put there: the same
function the CLI runs first (`run._refuse_bad_config`), in-process."""

import json

import pytest

from source_bigcommerce.run import _refuse_bad_config

GOOD = {"store_hash": "abc123de", "access_token": "s3cr3t-token-value", "start_date": "2021-01-01", "api_url": "https://api.bigcommerce.com"}
BAD_CONFIGS = [
    ({"store_hash": ""}, "`store_hash` is required"),
    ({"store_hash": "https://store-abc.mybigcommerce.com"}, "not a URL or path"),
    ({"store_hash": "abc/def"}, "not a URL or path"),
    ({"store_hash": "abc def"}, "not a URL or path"),
    ({"store_hash": "a" * 33}, "`store_hash` is 33 characters long"),
    ({"store_hash": 12345}, "`store_hash` must be text"),
    ({"access_token": ""}, "`access_token` is required"),
    ({"access_token": "two words"}, "contains spaces"),
    ({"access_token": "t" * 257}, "`access_token` is 257 characters long"),
    ({"access_token": "tökén"}, "characters no BigCommerce token has"),
    ({"start_date": "01/02/2021"}, "`start_date` must be a date like 2021-01-01"),
    ({"start_date": "2021-13-45"}, "`start_date` must be a date like 2021-01-01"),
    ({"start_date": None}, "`start_date` is required"),
    ({"api_url": "ftp://api.bigcommerce.com"}, "`api_url` must be an http(s) URL"),
    ({"num_workers": 0}, "`num_workers` must be a whole number from 1 to 32"),
    ({"num_workers": "8"}, "`num_workers` must be a whole number from 1 to 32"),
    ({"newest_first_days": -1}, "`newest_first_days` must be a whole number of days from 0 to 3650"),
    ({"newest_first_days": True}, "`newest_first_days` must be a whole number of days from 0 to 3650"),
    ({"newest_first_days": 15.5}, "`newest_first_days` must be a whole number of days from 0 to 3650"),
    ({"parallel_date_slices": "yes"}, "`parallel_date_slices` must be true or false"),
]


def _run(command, config, capsys):
    with pytest.raises(SystemExit) as exited:
        _refuse_bad_config(command, config)
    out = capsys.readouterr()
    return exited.value.code, [json.loads(line) for line in out.out.splitlines()], out.out + out.err


@pytest.mark.parametrize("overrides, says", BAD_CONFIGS, ids=[str(c[0])[:40] for c in BAD_CONFIGS])
def test_given_bad_config_when_check_or_read_then_config_error_naming_what_to_fix(overrides, says, capsys):
    config = {**GOOD, **overrides}

    check_code, check_messages, check_text = _run("check", config, capsys)
    read_code, read_messages, read_text = _run("read", config, capsys)

    [status] = [m["connectionStatus"] for m in check_messages if m["type"] == "CONNECTION_STATUS"]
    assert check_code == 0 and status["status"] == "FAILED" and says in status["message"]
    [error] = [m["trace"]["error"] for m in read_messages if m["type"] == "TRACE"]
    assert read_code == 1 and error["failure_type"] == "config_error" and says in error["message"]
    for text in (check_text, read_text):
        assert "Traceback" not in text and GOOD["access_token"] not in text


def test_given_good_config_when_checked_first_then_nothing_is_printed_and_nothing_exits(capsys):
    _refuse_bad_config("read", GOOD)
    assert capsys.readouterr().out == ""
