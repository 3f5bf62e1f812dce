"""A student's first minutes: JupyterLab serves the student's workspace, headless Chromium opens one lesson
per module, runs its first code cells, and the rendered output is checked and photographed. Skips only
when no Chromium is installed."""

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
    """JupyterLab on a free loopback port, serving a student's workspace made by `paperlab update` in
    a temporary folder (so that no autosave can touch the committed lessons); yields (url, token, work)."""
    from utils.course.workspace import update

    port, token = _free_port(), secrets.token_hex(16)
    course = tmp_path / "course"
    shutil.copytree(root / "lessons", course / "lessons")
    update(course)
    served = course / "work"
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
    yield url, token, served
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def _run_first_cells(page, notebook, count: int) -> None:
    from playwright.sync_api import expect

    run_button = page.locator(".jp-NotebookPanel:visible [data-command='notebook:run-cell-and-select-next']")
    for index in range(count):  # the parameters cell, then the setup cell that prints a ready line
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
        expect(prompt).to_have_text(re.compile(r"\[\d+\]:"), timeout=180_000)


@pytest.mark.browser
def test_student_opens_one_lesson_per_module(root: Path, jupyterlab) -> None:
    """For one lesson per module, from the workspace: open it, run the parameters and setup cells, read
    the ready line, save a screenshot to build/browser-MODULE.png; no news popup, and lessons/ untouched."""
    if CHROMIUM is None:
        print("SKIP reason: no Chromium installed (apt-get install chromium); .ci/run installs it")
        pytest.skip("no Chromium installed (apt-get install chromium chromium-driver)")
    from playwright.sync_api import expect, sync_playwright

    url, token, work = jupyterlab
    first = {}
    for path in sorted(work.rglob("*.ipynb")):
        first.setdefault(path.parent.name, path.relative_to(work))
    assert len(first) >= 5, first
    (root / "build").mkdir(exist_ok=True)
    before = {p: p.read_bytes() for p in (root / "lessons").rglob("*.ipynb")}
    texts = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = None
        try:
            for module, rel in first.items():
                shot = root / "build" / f"browser-{module}.png"
                if page is not None:
                    page.close()
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                # a workspace of its own per lesson: only this notebook's panel is open
                page.goto(f"{url}/lab/workspaces/{module}/tree/{rel}?reset&token={token}", timeout=90_000)
                notebook = page.locator(".jp-NotebookPanel:visible .jp-Notebook")
                expect(notebook.locator(".jp-CodeCell").first).to_be_visible(timeout=90_000)
                expect(page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader")).to_be_visible()
                expect(page.get_by_text("| Idle").first).to_be_visible(timeout=120_000)
                _run_first_cells(page, notebook, 2)
                output = notebook.locator(".jp-CodeCell").nth(1).locator(".jp-OutputArea-output")
                expect(output.first).to_contain_text("Paper Lab ready", timeout=120_000)
                texts[module] = output.first.inner_text()
                expect(page.get_by_text("official Jupyter news")).to_have_count(0)
                page.screenshot(path=str(shot))
                assert shot.stat().st_size > 10_000
                page.keyboard.press("Control+s")  # a student saves: the workspace changes, lessons/ do not
                page.locator(".jp-NotebookPanel:visible").click()
        except Exception:
            if page is not None:
                page.screenshot(path=str(root / "build" / "browser-failure.png"))
            raise
        finally:
            browser.close()
    for module, text in texts.items():
        assert "on the CPU" in text and "SEED=0" in text and "SMOKE=False" in text, (module, text)
    assert before == {p: p.read_bytes() for p in (root / "lessons").rglob("*.ipynb")}
