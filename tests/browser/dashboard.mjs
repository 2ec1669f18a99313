// The dashboard in a real browser (Debian's chromium, headless, driven by playwright-core).
// tests/dashboard_browser.rs starts `hearken run` and calls this script; run it by hand with
//
//   HEARKEN_URL=http://127.0.0.1:8080 HEARKEN_TOKEN=… HEARKEN_MARKETING_TOKEN=… HEARKEN_APPEND_TO=posts.jsonl \
//   HEARKEN_ARTIFACTS=target/test-artifacts/dashboard node tests/browser/dashboard.mjs
//
// It checks what an officer and a marketing user see:
//  1. the queue page loads and lists the cases already there;
//  2. a complaint appended to the followed replay file appears without a reload;
//  3. acknowledging it changes its status on the page and in the API;
//  4. with a marketing token, the reputation page draws its charts with data.
// A screenshot of each step goes to HEARKEN_ARTIFACTS. Any failure exits non-zero.
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

function required(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`${name} is not set; see the comment at the top of this file`);
    process.exit(2);
  }
  return v;
}

const base = required("HEARKEN_URL");
const token = required("HEARKEN_TOKEN");
const marketingToken = required("HEARKEN_MARKETING_TOKEN");
const appendTo = required("HEARKEN_APPEND_TO");
const artifacts = required("HEARKEN_ARTIFACTS");
const executablePath = process.env.HEARKEN_CHROMIUM || "/usr/bin/chromium";
mkdirSync(artifacts, { recursive: true });

const step = (msg) => console.log(`[dashboard] ${msg}`);

// Flags for a closed network: no background fetches, no first-run, no sync.
const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
});
let failed = false;
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const consoleErrors = [];
page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
page.on("pageerror", (e) => consoleErrors.push(String(e)));
// Failed requests, by URL. A 403 is the page probing what the role may see (a marketing
// token on the queue stream); anything else is a fault.
const failedRequests = [];
page.on("response", (r) => { if (r.status() >= 400) failedRequests.push(`${r.status()} ${r.url()}`); });
// What a user sees on screen (a full page of a hundred cards is too tall to read).
const shot = (name) => page.screenshot({ path: join(artifacts, name) });

async function enterToken(t) {
  await page.locator("#token-form").waitFor({ state: "visible", timeout: 10000 });
  await page.fill("#token-input", t);
  await page.click("#token-form button[type=submit]");
  await page.locator("#token-form").waitFor({ state: "hidden", timeout: 5000 });
}

try {
  // The token lives in the tab's sessionStorage: the page asks for it first.
  await page.goto(`${base}/queue`);
  await enterToken(token);

  // 1. The queue loads with the cases from the corpus already replayed.
  await page.locator("#queue li.card").first().waitFor({ timeout: 15000 });
  await page.locator("#live.on").waitFor({ timeout: 10000 });
  const before = await page.locator("#queue li.card").count();
  step(`queue loaded: ${before} cases, live`);
  await shot("1-queue.png");

  // 2. A new complaint arrives while the page is open: no reload.
  const marker = `Lift${Date.now().toString(36)}`;
  const post = {
    id: `browser-${marker}`,
    text: `dr. Rendra at Zenith Serpong gave my father the wrong medication and he was rushed to ICU. ` +
      `Nobody apologised, we are talking to a lawyer. Ward ${marker} #malpractice`,
    source: "x",
    url: `https://x.com/example/status/${marker}`,
    // Replayed: the complaint is dated just after the sample's last post, so that the
    // reputation page's default month (up to the newest post) still holds the sample.
    created_at: "2026-03-23T08:30:00+07:00",
    author: { id: "browser-test", handle: "anak_pasien_test", followers: 25000, verified: false },
    metrics: { likes: 800, shares: 350, replies: 120 },
  };
  const navigations = [];
  page.on("framenavigated", (f) => { if (f === page.mainFrame()) navigations.push(f.url()); });
  appendFileSync(appendTo, JSON.stringify(post) + "\n");
  step(`appended ${post.id} to ${appendTo}`);
  const card = page.locator("#queue li.card", { hasText: marker });
  await card.waitFor({ timeout: 20000 });
  if (navigations.length) throw new Error(`the page navigated (${navigations.join(", ")}) instead of updating live`);
  const status = await card.getAttribute("data-status");
  if (status !== "open") throw new Error(`the new case is "${status}", expected open`);
  const evidence = await card.locator("mark").count();
  if (evidence === 0) throw new Error("the new case's summary highlights no evidence");
  const caseId = await card.getAttribute("data-case-id");
  step(`the new case ${caseId} appeared live (${evidence} evidence marks)`);
  await card.scrollIntoViewIfNeeded();
  await shot("2-new-case-live.png");

  // 3. One click acknowledges it: the card changes, and the API agrees.
  await card.locator("button[data-action=ack]").click();
  // The default filter ("active") keeps acknowledged cases in the queue.
  await page.locator(`#queue li.card[data-case-id="${caseId}"][data-status="acknowledged"]`).waitFor({ timeout: 10000 });
  const res = await fetch(`${base}/api/cases/${encodeURIComponent(caseId)}`, { headers: { Authorization: `Bearer ${token}` } });
  const detail = await res.json();
  if (detail.case.status !== "acknowledged") throw new Error(`the API says the case is ${detail.case.status}`);
  step("acknowledged from the page; the API agrees");
  await shot("3-acknowledged.png");

  // 4. Marketing (its own token: officers may not read trends) opens the reputation page.
  await page.click("#token-button");
  await enterToken(marketingToken);
  await page.click("nav a[data-view=reputation]");
  await page.locator("#chart-volume svg rect").first().waitFor({ timeout: 15000 });
  const counts = {};
  for (const id of ["chart-volume", "chart-sentiment", "chart-categories", "chart-top", "chart-sov", "chart-sources", "chart-languages"]) {
    counts[id] = await page.locator(`#${id} svg rect, #${id} svg path, #${id} svg polyline`).count();
    if (counts[id] === 0) throw new Error(`#${id} drew nothing`);
  }
  step(`reputation charts drawn: ${JSON.stringify(counts)}`);
  await shot("4-reputation.png");

  // The same page on a phone: no horizontal scrolling of the page itself.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.click("#token-button");
  await enterToken(token);
  await page.click("nav a[data-view=queue]");
  await page.locator("#queue li.card").first().waitFor({ timeout: 10000 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 4) throw new Error(`on a phone the queue page is ${overflow}px wider than the screen`);
  await shot("5-queue-phone.png");
  step("queue readable at phone width");

  step(`requests refused by role: ${failedRequests.filter((r) => r.startsWith("403 ")).length}`);
  const faults = failedRequests.filter((r) => !r.startsWith("403 "));
  if (faults.length) throw new Error(`requests failed: ${faults.join(" | ")}`);
  // Chromium logs each failed request again; the 403s are accounted for above.
  const forbidden = failedRequests.length - faults.length;
  const loadErrors = consoleErrors.filter((m) => m.startsWith("Failed to load resource"));
  if (loadErrors.length > forbidden) throw new Error(`resources failed to load: ${loadErrors.join(" | ")}`);
  const errors = consoleErrors.filter((m) => !m.startsWith("Failed to load resource"));
  if (errors.length) throw new Error(`the page logged errors: ${errors.join(" | ")}`);
} catch (e) {
  failed = true;
  console.error(`[dashboard] FAIL: ${e.message}`);
  try { await shot("failure.png"); } catch (_) { /* the page may be gone */ }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
