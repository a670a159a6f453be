"""``bot.serving.rasa_run``: the argv it hands Rasa's own parser (Rasa environment)."""

from rasa.__main__ import create_argument_parser

from bot.serving.rasa_run import rasa_argv


def parsed(token: str):
    argv = rasa_argv(["--enable-api", "--port", "5005"], token)
    assert argv[:2] == ["rasa", "run"]
    return create_argument_parser().parse_args(argv[1:])


def test_the_token_reaches_rasa():
    assert parsed("abcDEF_123").auth_token == "abcDEF_123"


def test_a_token_that_starts_with_a_dash_still_starts_rasa():
    # token_urlsafe makes one like this 1 time in 64: rasa run refused to start with it
    token = "-Xk3_q9LmN0pQrStUvWxYz"
    assert parsed(token).auth_token == token
    assert parsed("--looks-like-an-option").auth_token == "--looks-like-an-option"
