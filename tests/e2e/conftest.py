"""Browser fixtures: Debian's headless Chromium driven by Playwright against pytest-django's live server.

The browser is /usr/bin/chromium (the test command installs the `chromium`
package); `playwright install` is never run, so nothing is downloaded. The
map's tile server is pointed at a closed local port: the pages must work
with no tiles, and no test may reach the internet.
"""

import os
import socket
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def browser():
    # One browser per test, started after the test's database set-up and
    # stopped before its teardown: Playwright's sync API runs the test in
    # another greenlet with its own context variables, where Django's
    # connection is another object, without the serialized contents that
    # restore the migrations' rows after a transactional test.
    # It also runs an event loop in this thread, and Django refuses ORM
    # calls (the tests' factories) inside one unless told that this thread
    # never awaits them.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
            yield browser
            browser.close()
            # The connection the test opened in Playwright's context: left
            # open, it would keep the test database from being dropped.
            connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def no_tiles(settings):
    settings.MAP_TILE_URL = f"http://127.0.0.1:{closed_port()}/{{z}}/{{x}}/{{y}}.png"


@pytest.fixture
def open_page(browser, live_server, no_tiles):
    """open_page(path, viewport=DESKTOP, **context options) -> a Playwright page on the live server.

    Each page records uncaught script errors in `page.script_errors`; the
    fixture fails the test if any happened.
    """
    contexts, pages = [], []

    def open_(path, *, viewport=DESKTOP, **options):
        context = browser.new_context(viewport=viewport, base_url=live_server.url, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.script_errors = []
        page.on("pageerror", lambda error: page.script_errors.append(str(error)))
        page.goto(path)
        pages.append(page)
        return page

    yield open_
    errors = [error for page in pages for error in page.script_errors]
    for context in contexts:
        context.close()
    assert errors == [], f"script errors in the page: {errors}"


@pytest.fixture
def screenshot():
    """screenshot(page, name): save a full-page PNG under test-output/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
