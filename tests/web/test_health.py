"""``/web/api/ready`` (bot.web.health): ready only when the model is loaded and the real
action server is warm, else 503 with what is missing."""

import asyncio
from types import SimpleNamespace

from sanic import Blueprint, Sanic

from bot.web.health import READY_PATH, actions_ready_url, add_health_routes, readiness
from tests.conftest import free_port


def app_with(agent):
    return SimpleNamespace(ctx=SimpleNamespace(agent=agent))


def loaded_agent(action_url, headers=None):
    """What readiness reads of Rasa's Agent: is_ready() and action_endpoint."""
    from rasa.utils.endpoints import EndpointConfig

    endpoint = EndpointConfig(f"{action_url}/webhook", headers=headers or {})
    return SimpleNamespace(is_ready=lambda: True, action_endpoint=endpoint)


def test_the_ready_url_sits_next_to_the_webhook():
    assert actions_ready_url("http://127.0.0.1:5055/webhook") == "http://127.0.0.1:5055/ready"
    assert actions_ready_url("https://actions.internal/shop/webhook/") == "https://actions.internal/shop/ready"


def test_ready_with_a_loaded_model_and_the_warm_action_server(action_server):
    status, body = asyncio.run(readiness(app_with(loaded_agent(action_server, action_server.headers))))
    assert (status, body) == (200, {"ready": True, "model": "loaded", "actions": "ready"})


def test_not_ready_without_a_model():
    status, body = asyncio.run(readiness(app_with(None)))
    assert status == 503 and body["missing"] == ["model"] and body["ready"] is False
    unloaded = SimpleNamespace(is_ready=lambda: False, action_endpoint=None)
    assert asyncio.run(readiness(app_with(unloaded)))[1]["missing"] == ["model"]


def test_not_ready_when_the_action_server_is_down():
    status, body = asyncio.run(readiness(app_with(loaded_agent(f"http://127.0.0.1:{free_port()}"))))
    assert status == 503 and body["missing"] == ["actions"]
    assert body["actions"].startswith("unreachable")


def test_the_route_is_registered_on_the_web_blueprint():
    web = Blueprint("shop_web_test")
    add_health_routes(web)
    app = Sanic("health_test")
    app.blueprint(web)
    assert READY_PATH.strip("/") in {route.path.strip("/") for route in app.router.routes}
