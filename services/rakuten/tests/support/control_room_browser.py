"""Drives the control room in a real headless Chromium (Debian `chromium`, PyPI `playwright` with
`executable_path`; no browser download) for `services/rakuten/tests/control_room.rs`.

Usage: control_room_browser.py BASE_URL INFERENCE_URL ADMIN_TOKEN CSV_FILE OUT_JSON
Environment: AXE_JS (path of axe-core's axe.min.js), CHROMIUM (default /usr/bin/chromium),
SCREENSHOTS (optional folder: one PNG per page).

Every check raises on failure (exit 1 with the reason); OUT_JSON gets what the Rust side verifies afterwards
(the version promoted from the UI, the workflow ids started from it). Waits poll the page for a condition
with a deadline; none stands in for readiness.
"""
import csv
import io
import json
import os
import re
import sys
import time

from playwright.sync_api import sync_playwright

BASE, INFERENCE, TOKEN, CSV_FILE, OUT = sys.argv[1:6]
AXE = open(os.environ["AXE_JS"]).read()
SHOTS = os.environ.get("SCREENSHOTS")
PAGES = ["/", "/infrastructure", "/dataset", "/training", "/predictions", "/monitoring", "/login"]
XSS = "<script>window.__xss=1</script>Chaise <b>jardin</b> & table"
result = {"started": []}


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def until(what, deadline_s, probe):
    end = time.monotonic() + deadline_s
    while True:
        v = probe()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline_s}s waiting for {what}")
        time.sleep(0.5)


def axe(page, name):
    page.add_script_tag(content=AXE)
    r = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in r["violations"] if v["impact"] in ("serious", "critical")]
    check(not bad, f"axe on {name}: " + "; ".join(f"{v['id']} ({v['impact']}): {v['help']} "
                                                f"at {[n['target'] for n in v['nodes'][:3]]}" for v in bad))


def visit(page, path, errors, shot=None):
    before = len(errors)
    resp = page.goto(BASE + path)
    check(resp is not None and resp.status == 200, f"GET {path} answered {resp and resp.status}")
    page.wait_for_load_state("load")
    check(len(errors) == before, f"console errors on {path}: {errors[before:]}")
    if SHOTS and shot:
        page.screenshot(path=os.path.join(SHOTS, f"{shot}.png"), full_page=True)
    return resp


def confirm(page, errors, href_pattern, label):
    """Follows an action button to its confirmation page and confirms; returns the flash text."""
    page.get_by_role("link", name=label, exact=True).first.click()
    page.wait_for_load_state("load")
    check(page.url.startswith(BASE + "/confirm"), f"{label}: expected the confirmation page, at {page.url}")
    check(re.search(href_pattern, page.url), f"{label}: confirmation for {page.url}")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state("load")
    flash = page.locator("p.flash").inner_text()
    check("flash ok" in (page.locator("p.flash").get_attribute("class") or ""), f"{label}: {flash}")
    return flash


with sync_playwright() as pw:
    browser = pw.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                                 args=["--no-sandbox"])
    # CSP bypassed so that axe can be injected; it also means escaping alone must keep product text inert (the
    # header is checked below).
    ctx = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = ctx.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    # Every page loads without console errors and passes axe (no serious or critical violation).
    for path in PAGES:
        resp = visit(page, path, errors, shot=(path.strip("/") or "home"))
        check("script-src 'none'" in (resp.headers.get("content-security-policy") or ""), f"{path}: no CSP")
        axe(page, path)
    check(page.context.cookies() and any(c["name"] == "rk_csrf" for c in page.context.cookies()), "no CSRF cookie")
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "rk_csrf")

    # An action without a session is refused (with a valid CSRF token), and one without the CSRF token too.
    r = page.request.post(BASE + "/actions/train", form={"csrf": csrf, "reason": "no session"})
    check(r.status == 401, f"train without a session: {r.status}")
    r = page.request.post(BASE + "/actions/promote", form={"csrf": csrf, "version": "1"})
    check(r.status == 401, f"promote without a session: {r.status}")
    # The confirmation page sends a visitor without a session to the login form.
    page.goto(BASE + "/confirm?action=train")
    check("/login" in page.url, f"confirm without a session went to {page.url}")

    # A wrong token is refused; the right one opens a session.
    page.fill("#operator", "tester")
    page.fill("#token", "not-the-token")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")
    check("Login refused" in page.content(), "a wrong token was not refused")
    errors.clear()  # the 401 answer itself is logged by the browser as a failed resource
    page.fill("#operator", "tester")
    page.fill("#token", TOKEN)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")
    check(page.locator(".who strong").inner_text() == "tester", "not logged in")
    session = next((c for c in page.context.cookies() if c["name"] == "rk_session"), None)
    check(session and session["httpOnly"] and session["sameSite"] == "Strict", f"session cookie {session}")
    # Logged in, a POST without the CSRF field, or with another token, is still refused.
    r = page.request.post(BASE + "/actions/train", form={"reason": "no csrf"})
    check(r.status == 403, f"CSRF-less POST: {r.status}")
    r = page.request.post(BASE + "/actions/train", form={"csrf": "0" * 64, "reason": "forged"})
    check(r.status == 403, f"forged CSRF POST: {r.status}")

    # Train now from the UI; the run appears in the runs table, finished.
    visit(page, "/training", errors)
    runs_before = page.locator("table >> nth=-1").locator("tbody tr").count()
    flash = confirm(page, errors, r"action=train", "Train now")
    wid = re.search(r"(training-ui-\S+)", flash).group(1)
    result["started"].append(wid)

    def finished_runs():
        page.goto(BASE + "/training")
        rows = page.locator("table >> nth=-1").locator("tbody tr")
        statuses = [rows.nth(i).locator("td").nth(1).inner_text() for i in range(rows.count())]
        return rows.count() > runs_before and statuses.count("finished") > runs_before and statuses
    until("the UI's training run to finish and appear in the runs table", 240, finished_runs)
    check(not errors, f"console errors on /training: {errors}")

    # A run's page, and two runs compared.
    page.locator("table >> nth=-1").locator("tbody tr >> nth=0").locator("a").first.click()
    page.wait_for_load_state("load")
    check(page.locator("svg.chart").count() >= 2, "run page: no epoch charts")
    check(page.locator("table.confusion").count() == 1, "run page: no confusion matrix")
    axe(page, "run page")
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "run.png"), full_page=True)
    visit(page, "/training", errors)
    page.get_by_role("button", name="Compare").click()
    page.wait_for_load_state("load")
    check("Two runs side by side" in page.content(), "compare page")
    axe(page, "compare page")

    # Promote a version that is not in Production; the inference service serves it.
    visit(page, "/training", errors)
    rows = page.locator("#versions tbody tr")
    target = None
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td")
        if cells.nth(1).inner_text() != "Production":
            target = int(cells.nth(0).inner_text())
            rows.nth(i).get_by_role("link", name="Promote").click()
            break
    check(target is not None, "no version to promote")
    page.wait_for_load_state("load")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state("load")
    check(f"v{target} is now Production" in page.locator("p.flash").inner_text(), "promotion flash")
    result["promoted"] = target

    def served():
        r = page.request.get(INFERENCE + "/models/current")
        return r.ok and str(r.json().get("version")) == str(target)
    until(f"the inference service to serve v{target}", 60, served)

    # Shadow a version from the UI, then remove it.
    visit(page, "/training", errors)
    page.get_by_role("link", name="Set shadow").first.click()
    page.wait_for_load_state("load")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state("load")
    check("@shadow" in page.locator("p.flash").inner_text(), "shadow flash")

    # A prediction from the form shows the top-5; product text is shown as text, never run.
    visit(page, "/predictions", errors)
    page.fill("#designation", XSS)
    page.fill("#description", "<img src=x onerror=window.__xss=2> Table de jardin en bois massif")
    page.get_by_role("button", name="Predict").click()
    page.wait_for_load_state("load")
    check(page.locator("#top5 tbody tr").count() == 5, "top-5 table")
    check(page.locator("#answer svg.chart rect").count() == 5, "top-5 chart")
    check(page.evaluate("() => window.__xss") is None, "a script in the product text ran")
    check(page.locator("main script").count() == 0 and page.locator("main img").count() == 0, "markup injected")
    check(XSS in page.locator("#answer .product").inner_text(), "the product title is not shown as text")
    check(page.locator("#designation").input_value() == XSS, "the form lost the title")
    check(not errors, f"console errors after predicting: {errors}")
    # The history shows it, escaped, and filters by class.
    def in_history():
        visit(page, "/predictions", errors)
        return XSS in page.locator("main").inner_text()
    until("the prediction in the history (the inference log is written in batches)", 30, in_history)
    check(page.evaluate("() => window.__xss") is None, "a script in the history ran")
    axe(page, "predictions with history")

    # A CSV scored in batch comes back as a CSV.
    with page.expect_download() as dl:
        page.set_input_files("#csvfile", CSV_FILE)
        page.get_by_role("button", name="Score and download CSV").click()
    rows = list(csv.DictReader(io.StringIO(open(dl.value.path(), encoding="utf-8").read())))
    n_in = sum(1 for _ in csv.DictReader(open(CSV_FILE, encoding="utf-8")))
    check(len(rows) == n_in and all(r["predicted_class"].isdigit() for r in rows), f"batch CSV: {rows[:2]}")
    result["csv_rows"] = len(rows)

    # A drift check from the UI; its report opens, with its full HTML.
    visit(page, "/monitoring", errors)
    flash = confirm(page, errors, r"action=drift", "Run a drift check now")
    result["started"].append(re.search(r"(drift-check-ui-\S+)", flash).group(1))

    def report_link():
        page.goto(BASE + "/monitoring")
        links = page.locator("#reports tbody a")
        return links.count() > 0 and links.first
    until("a drift report", 180, report_link).click()
    page.wait_for_load_state("load")
    check(page.locator("#columns tbody tr").count() > 0, "report page: no per-column table")
    axe(page, "report page")
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "report.png"), full_page=True)
    html = page.request.get(BASE + page.get_by_role("link", name="Open the full HTML report").get_attribute("href"))
    check(html.ok and "<html" in html.text().lower(), f"full HTML report: {html.status}")

    # Pause a schedule from the UI.
    visit(page, "/infrastructure", errors)
    confirm(page, errors, r"op=pause", "Pause")
    visit(page, "/infrastructure", errors)
    check("paused" in page.locator("main").inner_text(), "the schedule is not shown paused")
    check(not errors, f"console errors: {errors}")
    browser.close()

json.dump(result, open(OUT, "w"))
print("control room browser checks passed", json.dumps(result))
