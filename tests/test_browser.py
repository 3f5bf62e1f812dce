"""A student's first minute: JupyterLab serves the welcome lesson, headless Chromium opens it and runs
its first code cells, and the rendered output is checked. Skips only when no Chromium is installed."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "", shutil.which("chromium-browser") or "")
                 if p and Path(p).exists()), None)
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def jupyterlab(root: Path, tmp_path: Path):
    """JupyterLab on a free loopback port, serving a copy of the lessons (so that no autosave can
    touch the committed ones); yields (base url, token)."""
    port, token = _free_port(), secrets.token_hex(16)
    served = tmp_path / "course"
    shutil.copytree(root / "lessons" / "00_welcome", served / "lessons" / "00_welcome")
    log = (tmp_path / "lab.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--ServerApp.token={token}", f"--ServerApp.root_dir={served}", "--ServerApp.port_retries=0",
         f"--LabApp.user_settings_dir={tmp_path / 'settings'}", f"--LabApp.workspaces_dir={tmp_path / 'ws'}",
         *(["--allow-root"] if os.geteuid() == 0 else [])],
        cwd=served, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited: {(tmp_path / 'lab.log').read_text()[-2000:]}")
            time.sleep(0.5)
    else:
        proc.terminate()
        pytest.fail("JupyterLab did not answer within 90 s")
    yield url, token
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.mark.browser
def test_student_runs_first_cells_of_welcome_lesson(root: Path, jupyterlab) -> None:
    """Open lessons/00_welcome/welcome.ipynb, run the parameters and setup cells, read the output."""
    if CHROMIUM is None:
        print("SKIP reason: no Chromium installed (apt-get install chromium); .ci/run installs it")
        pytest.skip("no Chromium installed (apt-get install chromium chromium-driver)")
    from playwright.sync_api import expect, sync_playwright

    url, token = jupyterlab
    shot = root / "build" / "browser-welcome.png"
    shot.parent.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{url}/lab/tree/lessons/00_welcome/welcome.ipynb?token={token}", timeout=90_000)
            notebook = page.locator(".jp-NotebookPanel:visible .jp-Notebook")
            expect(notebook.locator(".jp-CodeCell").first).to_be_visible(timeout=90_000)
            expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first).to_be_attached(timeout=90_000)
            # the nbgrader extensions are enabled: their menu is in the menu bar
            expect(page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader")).to_be_visible()
            run_button = page.locator(".jp-NotebookPanel:visible [data-command='notebook:run-cell-and-select-next']")
            expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible(timeout=120_000)
            for index in (0, 1):  # the parameters cell, then the setup cell that prints a ready line
                cell = notebook.locator(".jp-CodeCell").nth(index)
                prompt = cell.locator(".jp-InputPrompt")
                for _attempt in range(4):  # a request sent while the kernel still connects can be lost
                    prompt.click()
                    run_button.click()
                    try:
                        expect(prompt).not_to_have_text("[ ]:", timeout=20_000)
                        break
                    except AssertionError:
                        continue
                expect(prompt).to_have_text(re.compile(r"\[\d+\]:"), timeout=120_000)
            output = notebook.locator(".jp-CodeCell").nth(1).locator(".jp-OutputArea-output")
            expect(output).to_contain_text("Paper Lab ready", timeout=60_000)
            text = output.inner_text()
            page.screenshot(path=str(shot))
        except Exception:
            page.screenshot(path=str(shot))
            raise
        finally:
            browser.close()
    assert "on the CPU" in text and "SEED=0" in text and "SMOKE=False" in text, text
    assert shot.stat().st_size > 10_000
