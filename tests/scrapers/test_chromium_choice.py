"""Which Chromium the jobs launch (scrapers.browser.chromium_executable): the configured path, else
Debian's headless shell — the lightest, the one a worker fits a 512 MB container with
(bench/README.md, "Scale (#19)") — else Debian's full chromium, else Playwright's own."""

import os

import pytest

from autoorder.scrapers import browser


@pytest.fixture
def debian(tmp_path, monkeypatch):
    """Debian's candidate paths under tmp_path; ``install(name)`` makes one exist."""
    paths = {
        "shell": tmp_path / "lib" / "chromium-headless-shell",
        "chromium": tmp_path / "bin" / "chromium",
        "chromium-browser": tmp_path / "bin" / "chromium-browser",
    }
    monkeypatch.setattr(browser, "DEBIAN_CHROMIUMS", tuple(str(p) for p in paths.values()))
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "ms-playwright"))

    def install(name):
        paths[name].parent.mkdir(parents=True, exist_ok=True)
        paths[name].write_text("")
        return str(paths[name])

    return install


def test_the_headless_shell_comes_before_the_full_chromium(debian):
    full = debian("chromium")
    assert browser.chromium_executable() == full
    shell = debian("shell")
    assert browser.chromium_executable() == shell


def test_the_configured_path_wins_and_a_missing_one_is_said(debian, tmp_path):
    debian("shell")
    mine = tmp_path / "my-chrome"
    mine.write_text("")
    assert browser.chromium_executable(str(mine)) == str(mine)
    with pytest.raises(browser.BrowserNotFoundError, match="AUTOORDER_CHROMIUM_PATH"):
        browser.chromium_executable(str(tmp_path / "nowhere"))


def test_without_debians_playwrights_own_or_what_to_install(debian, tmp_path):
    with pytest.raises(browser.BrowserNotFoundError, match="chromium-headless-shell"):
        browser.chromium_executable()
    os.makedirs(tmp_path / "ms-playwright" / "chromium_headless_shell-1200")
    assert browser.chromium_executable() is None  # Playwright picks its own
