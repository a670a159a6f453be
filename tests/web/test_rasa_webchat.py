"""botfront's rasa-webchat 1.0.1 (the real bundle from npm), unchanged, on another site's page,
in headless Chromium, against our socket.io channel: a greeting, a button reply, a product
answer, and the conversation kept across a reload.

rasa-webchat renders a bot message only when its keys are exactly Rasa's; the channel sends
our extras only to our own widget, which announces itself."""

import http.server
import os
import shutil
import subprocess
import tarfile
import threading
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytest.importorskip("rasa")
pytest.importorskip("playwright.sync_api")

from playwright.sync_api import expect  # noqa: E402

VERSION = "1.0.1"
HERE = Path(__file__).resolve().parent
TIMEOUT = 90_000
ASKS_WITH_BUTTONS = ("compare the Pixel 8", "I want to compare the Galaxy S24", "compare the iPhone 15")


def cache_dir() -> Path:
    base = os.environ.get("SHOPBOT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "shopbot")
    return Path(base) / "npm" / f"rasa-webchat-{VERSION}"


@pytest.fixture(scope="session")
def webchat_bundle() -> Path:
    """lib/index.js of rasa-webchat from the npm registry, fetched once into the cache."""
    bundle = cache_dir() / "index.js"
    if bundle.exists():
        return bundle
    npm = shutil.which("npm")
    if not npm:
        pytest.skip("npm is not installed: the rasa-webchat test needs it to fetch the package")
    work = cache_dir().with_suffix(".tmp")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    done = subprocess.run([npm, "pack", f"rasa-webchat@{VERSION}", "--silent"], cwd=work,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with tarfile.open(work / done.stdout.strip().splitlines()[-1]) as tar:
        source = tar.extractfile("package/lib/index.js")
        (work / "index.js").write_bytes(source.read())
    cache_dir().mkdir(parents=True, exist_ok=True)
    (work / "index.js").replace(bundle)
    shutil.rmtree(work, ignore_errors=True)
    return bundle


class _Site(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass


@pytest.fixture(scope="session")
def other_site(rasa_server, webchat_bundle, tmp_path_factory):
    """A shop's own site on another origin (one SHOPBOT_ALLOWED_ORIGINS names) embedding webchat."""
    origins = [o for o in rasa_server["env"].get("SHOPBOT_ALLOWED_ORIGINS", "").split(",") if o]
    if not origins:
        pytest.fail("the rasa_server fixture must allow an origin for the embedding site (SHOPBOT_ALLOWED_ORIGINS)")
    origin = origins[0]
    root = tmp_path_factory.mktemp("site")
    shutil.copy(HERE / "webchat" / "page.html", root / "index.html")
    shutil.copy(webchat_bundle, root / "rasa-webchat.js")
    port = urlsplit(origin).port
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), partial(_Site, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{origin}/index.html?server={rasa_server['url']}"
    finally:
        server.shutdown()


def send(page, text):
    before = page.locator(".rw-response").count()
    box = page.locator(".rw-new-message")
    box.fill(text)
    box.press("Enter")
    expect(page.locator(".rw-response")).not_to_have_count(before, timeout=TIMEOUT)
    page.wait_for_timeout(1500)  # let every message of the turn arrive


def test_rasa_webchat_talks_to_our_channel(browser, other_site, screenshot):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(other_site)
    page.locator(".rw-launcher").click()
    expect(page.locator(".rw-new-message")).to_be_visible()

    # the page's initPayload (/greet) opens the conversation with the bot's greeting
    expect(page.locator(".rw-response").first).to_contain_text("assistant", timeout=TIMEOUT)
    send(page, "hi")
    expect(page.locator(".rw-response").last).to_contain_text("assistant")

    for ask in ASKS_WITH_BUTTONS:
        send(page, ask)
        if page.locator(".rw-reply").count():
            break
    reply = page.locator(".rw-reply").first
    expect(reply).to_be_visible()
    title = reply.inner_text()
    before = page.locator(".rw-response").count()
    reply.click()
    expect(page.locator(".rw-response")).not_to_have_count(before, timeout=TIMEOUT)
    expect(page.locator(".rw-client").last).to_contain_text(title)

    send(page, "tell me about the Galaxy S24")
    expect(page.locator(".rw-response").last).to_contain_text("Galaxy S24")
    screenshot(page, "rasa-webchat-conversation")
    texts = page.locator(".rw-message-text").all_inner_texts()
    assert any("Galaxy S24" in t and "$" in t for t in texts)

    page.reload()
    page.wait_for_timeout(2000)
    if not page.locator(".rw-new-message").is_visible():  # webchat remembers the panel was open
        page.locator(".rw-launcher").click()
    expect(page.locator(".rw-message-text")).to_have_count(len(texts), timeout=30_000)
    send(page, "thanks!")  # the same session goes on after the reload
    screenshot(page, "rasa-webchat-after-reload")
    assert errors == []
    context.close()
