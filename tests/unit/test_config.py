"""Settings: safe defaults, and production refuses to start without real secrets."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from helpline.config import DEMO_SECRET, Settings

pytestmark = pytest.mark.unit

REAL = "a-real-secret-of-at-least-32-characters"
SECRETS = ("WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN", "WHATSAPP_ACCESS_TOKEN",
           "HELPLINE_ADMIN_TOKEN")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (*SECRETS, "HELPLINE_MODE", "HELPLINE_FAKE_GRAPH"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("missing", SECRETS)
def test_production_names_the_missing_secret(clean_env: pytest.MonkeyPatch,
                                             missing: str) -> None:
    clean_env.setenv("HELPLINE_MODE", "production")
    for name in SECRETS:
        if name != missing:
            clean_env.setenv(name, REAL)
    with pytest.raises(ValidationError, match=missing):
        Settings()


def test_production_refuses_the_demo_secret(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HELPLINE_MODE", "production")
    for name in SECRETS:
        clean_env.setenv(name, DEMO_SECRET)
    with pytest.raises(ValidationError, match="demo value"):
        Settings()


def test_production_with_secrets_uses_the_real_graph_api(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HELPLINE_MODE", "production")
    for name in SECRETS:
        clean_env.setenv(name, REAL)
    settings = Settings().resolved()
    assert not settings.use_fake_graph
    assert settings.whatsapp_graph_url == "https://graph.facebook.com"
    assert settings.whatsapp_app_secret.get_secret_value() == REAL


def test_demo_fills_secrets_and_points_at_the_fake(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HELPLINE_HTTP_PORT", "8123")
    settings = Settings().resolved()
    assert settings.whatsapp_app_secret.get_secret_value() == DEMO_SECRET
    assert settings.whatsapp_graph_url == "http://127.0.0.1:8123/fake-graph"


def _production(env: pytest.MonkeyPatch) -> None:
    env.setenv("HELPLINE_MODE", "production")
    for name in SECRETS:
        env.setenv(name, REAL)


def test_production_refuses_a_short_admin_token(clean_env: pytest.MonkeyPatch) -> None:
    _production(clean_env)
    clean_env.setenv("HELPLINE_ADMIN_TOKEN", "letmein")
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings()


def test_production_refuses_the_fake_graph_api(clean_env: pytest.MonkeyPatch) -> None:
    """The fake and the simulator (which signs any customer message with the app secret and
    needs no authentication) must never run beside real secrets."""
    _production(clean_env)
    clean_env.setenv("HELPLINE_FAKE_GRAPH", "true")
    with pytest.raises(ValidationError, match="HELPLINE_FAKE_GRAPH=true is refused"):
        Settings()


def test_an_explicit_graph_url_is_kept_in_demo_mode(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("WHATSAPP_GRAPH_URL", "https://graph.example.test")
    settings = Settings().resolved()
    assert not settings.use_fake_graph
    assert settings.whatsapp_graph_url == "https://graph.example.test"
