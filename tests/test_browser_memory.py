"""Chromium's launch for crawls: few processes (memory), Playwright's own features kept, the driver's Node lean."""

from __future__ import annotations

import os

import pytest

from crawlers.browser import DRIVER_NODE_OPTIONS, driver_environment, launch_options
from crawlers.testing import descendants, process_table


def test_the_driver_gets_small_heap_settings_added_to_what_the_user_set():
    ours = " ".join(DRIVER_NODE_OPTIONS)
    assert driver_environment({}) == {"NODE_OPTIONS": ours}
    assert driver_environment({"NODE_OPTIONS": "--enable-source-maps"}) == {
        "NODE_OPTIONS": f"--enable-source-maps {ours}"}
    assert driver_environment({"NODE_OPTIONS": "--max-semi-space-size=8"}) == {
        "NODE_OPTIONS": "--max-semi-space-size=8 --max-old-space-size=512"}, "the user's own young size wins"
    assert driver_environment({"NODE_OPTIONS": "--max-old-space-size=2048 --max-semi-space-size=8"}) == {}


def _below(root: int) -> dict[int, str]:
    """pid -> command line of every process below `root`."""
    table = process_table()
    return {pid: table[pid][1].replace(b"\0", b" ").decode(errors="replace") for pid in descendants(table, root)[1:]}


@pytest.mark.integration
def test_chromium_runs_without_zygotes_gpu_or_network_processes_and_keeps_playwrights_features():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(**launch_options())
        try:
            page = browser.new_page()
            page.set_content("<p>露营椅 ¥129</p>")
            assert page.inner_text("p") == "露营椅 ¥129"
            driver = next(pid for pid, cmd in _below(os.getpid()).items() if "run-driver" in cmd)
            chromium = _below(driver)
        finally:
            browser.close()
    kinds = sorted(cmd.split("--type=")[1].split(" ")[0] if "--type=" in cmd else "browser"
                   for cmd in chromium.values())
    assert "renderer" in kinds and "browser" in kinds, kinds
    assert not {"zygote", "gpu-process"} & set(kinds), kinds
    assert not any("sub-type=network.mojom.NetworkService" in cmd for cmd in chromium.values()), "runs in-process"
    main = next(cmd for cmd in chromium.values() if "--type=" not in cmd)
    assert "--site-per-process" in main.split(), "the headless shell would otherwise put every tab in one renderer"
    features = main.rsplit("--enable-features=", 1)[1].split(" ")[0].split(",")
    assert {"SkipListAccountsWithoutGaiaCookies", "NetworkServiceInProcess2"} <= set(features)
