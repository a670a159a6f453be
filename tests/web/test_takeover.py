"""Live human takeover in real browsers: a shopper's conversation turns negative, an agent
signs in to the staff console, finds it flagged, takes it over, and the shopper sees the
agent's message in the widget; anonymous access to the console is refused."""

import os
import re
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

pytest.importorskip("rasa")
pytest.importorskip("playwright.sync_api")

from playwright.sync_api import expect  # noqa: E402

from tests.conftest import ROOT  # noqa: E402
from tests.web.chat import conversation_id  # noqa: E402
from tests.web.test_widget import TIMEOUT, XSS, open_shop, send  # noqa: E402

AGENT_EMAIL = "ann.agent@example.com"
AGENT_PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def staff_agent(rasa_server):
    """An agent account created with the project's CLI in the server's database."""
    subprocess.run(
        [sys.executable, "-m", "bot.web.cli", "create-user", "--email", AGENT_EMAIL, "--name", "Ann",
         "--role", "agent", "--password-stdin"],
        input=AGENT_PASSWORD + "\n", text=True, check=True, cwd=ROOT,
        env={**os.environ, **rasa_server["env"]}, capture_output=True, timeout=120,
    )
    return AGENT_EMAIL


def test_anonymous_access_to_the_console_is_refused(rasa_server):
    url = rasa_server["url"]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{url}/staff/api/conversations", timeout=30)
    assert refused.value.code == 401
    page = urllib.request.urlopen(f"{url}/staff/", timeout=30)  # follows the redirect
    assert page.geturl().startswith(f"{url}/staff/login")


def test_an_agent_takes_over_a_negative_conversation(browser, rasa_server, staff_agent, screenshot):
    shop, shopper, errors = open_shop(browser, rasa_server)
    send(shopper, "this is ridiculous, my order is two weeks late and nobody answers my emails")
    send(shopper, "I'm really angry, this is the worst service I have ever had")
    send(shopper, XSS)
    # the console shows the conversation id, which derives from the shopper's session token
    sender_id = conversation_id(rasa_server, shopper.evaluate("window.ShopbotWidget.sessionToken()"))

    console = browser.new_context()
    agent = console.new_page()
    agent_errors = []
    agent.on("pageerror", lambda exc: agent_errors.append(str(exc)))
    agent.goto(f"{rasa_server['url']}/staff/")
    expect(agent).to_have_url(re.compile(r"/staff/login"))
    agent.get_by_label("E-mail").fill(AGENT_EMAIL)
    agent.get_by_label("Password").fill(AGENT_PASSWORD)
    agent.get_by_role("button", name="Sign in").click()
    agent.goto(f"{rasa_server['url']}/staff/tickets")
    row = agent.locator("tr", has_text=sender_id)
    expect(row).to_contain_text("negative sentiment twice in a row")
    screenshot(agent, "console-queue-flagged")
    row.get_by_role("button", name="Take over").click()

    expect(agent).to_have_url(re.compile(re.escape(sender_id)))
    expect(agent.get_by_text(XSS).first).to_be_visible()  # the hostile text is just text
    assert agent.evaluate("() => window.__xss") is None
    agent.get_by_label(re.compile("Message to the shopper")).fill("Hi, I'm Ann from the support team. I'm looking at your order now.")
    agent.get_by_role("button", name=re.compile("Send as")).click()
    screenshot(agent, "console-takeover")

    message = shopper.locator(".sb-agent").last
    expect(message).to_contain_text("I'm Ann from the support team", timeout=TIMEOUT)
    expect(message).to_contain_text("Agent")
    screenshot(shopper, "widget-agent-message")

    # while the agent has it, the bot stays quiet and the shopper's message reaches the console
    bot_replies = shopper.locator(".sb-bot").count()
    box = shopper.get_by_label("Your message")
    box.fill("thank you, it's order ORD-100234")
    box.press("Enter")
    agent.wait_for_timeout(1500)
    agent.reload()
    expect(agent.get_by_text("thank you, it's order ORD-100234")).to_be_visible(timeout=TIMEOUT)
    shopper.wait_for_timeout(3000)
    assert shopper.locator(".sb-bot").count() == bot_replies
    assert not errors and not agent_errors
    shop.close()
    console.close()
