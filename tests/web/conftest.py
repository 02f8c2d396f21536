"""Pages tested in a real browser: Playwright driving Debian's chromium against Django's live server."""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("PATRON_TEST_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
# Playwright runs its event loop in the test's thread; the ORM calls the tests make between page steps are
# ordinary synchronous calls, not calls from a coroutine.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _patient_expectations() -> None:
    """Playwright's `expect` polls for 5 s by default; on a loaded 2-core machine a live preview may take longer.
    The same 15 s the pages' own default timeout allows."""
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)


_patient_expectations()


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        why = "the page tests need Debian's chromium: apt install chromium (Playwright never downloads one here)"
        if os.environ.get("PATRON_REQUIRE_BROWSER"):
            pytest.fail(f"{why}; CI requires them (PATRON_REQUIRE_BROWSER)")
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def staff_page(page, live_server, django_user_model):
    django_user_model.objects.create_superuser("staff", "staff@example.com", "a long enough password")
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "staff")
    page.fill("#id_password", "a long enough password")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return page
