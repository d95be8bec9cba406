#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Loads `fluxsim run SCENARIO -o html` in headless Chromium and asserts on the rendered page.

A copy of the page gets a measuring script appended; Chromium lays it out offline (no network: the page
must need none) and --dump-dom returns the DOM with the script's findings in <pre id="rendered">: the
size of the Gantt chart, how many bars have a visible width, which sections are laid out.

Usage: html_render_check.py FLUXSIM SCENARIO WORKDIR
Exit 0: rendered as expected; 1: not; 77: no chromium (ctest SKIP_RETURN_CODE).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

fluxsim, scenario, workdir = sys.argv[1:4]
chromium = shutil.which("chromium") or shutil.which("chromium-browser")
if not chromium:
    print("chromium is not installed: skipped")
    sys.exit(77)

run = subprocess.run([fluxsim, "run", scenario, "-o", "html"], capture_output=True)
if run.returncode not in (0, 1):
    print(f"fluxsim exited {run.returncode}: {run.stderr.decode(errors='replace')}")
    sys.exit(1)
page = run.stdout.decode("utf-8")
if "http://" in page.replace('xmlns="http://www.w3.org/2000/svg"', "") or "https://" in page:
    print("the page refers to the network")
    sys.exit(1)

probe = """
<script>
const r = {};
const svg = document.querySelector('#gantt svg');
const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
r.svgWidth = box.width; r.svgHeight = box.height;
r.rows = document.querySelectorAll('#gantt g.kustomization').length;
r.visibleBars = [...document.querySelectorAll('#gantt g.kustomization rect')].filter(e => e.getBoundingClientRect().width >= 0.5).length;
r.sections = [...document.querySelectorAll('section')].filter(s => s.getBoundingClientRect().height > 0).map(s => s.id);
const split = document.querySelector('#critical-path .split');
r.splitParts = split ? [...split.children].filter(e => e.getBoundingClientRect().width > 0).length : 0;
r.title = document.title;
document.body.insertAdjacentHTML('beforeend', '<pre id="rendered">' + JSON.stringify(r) + '</pre>');
</script>
"""
os.makedirs(workdir, exist_ok=True)
with tempfile.TemporaryDirectory(dir=workdir) as tmp:
    path = os.path.join(tmp, "report.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(page.replace("</body>", probe + "</body>"))
    dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                          "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp}/profile",
                          "--window-size=1600,1200", "--dump-dom", "file://" + path],
                         capture_output=True, timeout=120)
text = dom.stdout.decode("utf-8", errors="replace")
start = text.rfind('<pre id="rendered">')  # the probe's own source names it too
if start < 0:
    print("the page did not render (no probe output)", dom.stderr.decode(errors="replace")[-2000:])
    sys.exit(1)
found = json.loads(text[start + len('<pre id="rendered">'):text.find("</pre>", start)].replace("&quot;", '"').replace("&amp;", "&"))
print(json.dumps(found))
failures = []
if found["svgWidth"] < 600 or found["svgHeight"] < 100:
    failures.append("the Gantt chart is not laid out at a readable size")
if found["rows"] < 1 or found["visibleBars"] < found["rows"]:
    failures.append("some Kustomization rows have no visible bar")
for section in ("summary", "gantt", "critical-path", "waves", "failures", "workers", "explanation"):
    if section not in found["sections"]:
        failures.append(f"section {section} is missing or empty")
if found["splitParts"] < 1:
    failures.append("the critical path's time split shows no part")
for f in failures:
    print(f)
sys.exit(1 if failures else 0)
