// Screenshots of the agent console's main states and of the customer simulator, taken in
// headless chromium (playwright-core). Run by tools/screenshots.py, which starts the server.
//   node tools/screenshots.cjs BASE AGENT_TOKEN ADMIN_TOKEN OUT_DIR [LATE_AGENT_TOKEN]
const { chromium } = require("playwright-core");
const [base, token, adminToken, out, lateToken] = process.argv.slice(2);

async function signIn(page, secret) {
  await page.goto(base + "/console");
  await page.fill("#token", secret);
  await page.click("#sign-in button[type=submit]");
  await page.waitForSelector("#inbox li", { timeout: 15000 });
}

(async () => {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM, args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"] });
  const shot = async (page, name) => {
    await page.screenshot({ path: `${out}/${name}.png` });
    console.log(`${out}/${name}.png`);
  };
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 },
                                               locale: "en-GB", timezoneId: "Europe/Madrid" });
    const page = await context.newPage();
    await page.goto(base + "/console");
    await page.waitForSelector("#sign-in", { state: "visible" });
    await shot(page, "01-signed-out");
    await signIn(page, token);
    await shot(page, "02-inbox");
    await page.locator("#inbox li", { hasText: "Lucía" }).first().click();
    await page.waitForSelector("#transcript li.marker");
    await shot(page, "03-conversation");
    await page.fill("#reply-text", "Hola {customer_name}, ".replace("{customer_name}", "Lucía") +
                    "lo miro ahora mismo.");
    await shot(page, "04-customer-panel");
    await page.fill("#reply-text", "x".repeat(13000));
    await page.click("#reply-send");
    await page.waitForSelector("#ticket-error:not(:empty)");
    await shot(page, "05-reply-too-long");
    await page.fill("#reply-text", "");
    await page.fill("#search", "Tom");
    await page.waitForFunction(() => document.querySelectorAll("#inbox li").length === 1);
    await shot(page, "06-search");
    await page.fill("#search", "");
    if (await page.locator("#tab-history").isVisible()) {
      await page.click("#tab-history");
      await page.waitForTimeout(500);
      await shot(page, "07-timeline");
      await page.click("#tab-conversation");
    }
    const admin = await (await browser.newContext({ viewport: { width: 1440, height: 900 },
                                                    locale: "en-GB" })).newPage();
    await signIn(admin, adminToken);
    await admin.click('#views [data-view="queue"]');
    await admin.waitForTimeout(500);
    await shot(admin, "08-admin-queue");
    await admin.click("#saved-open");
    await admin.fill("#saved-id", "refund-on-its-way");
    await admin.fill("#saved-name", "Refund on its way");
    await admin.fill("#saved-text", "Hi {customer_name}, your refund is on its way: allow 3-5 days.");
    await admin.click("#saved-form button[type=submit]");
    await admin.waitForSelector("#saved-list li");
    await shot(admin, "10-saved-replies");
    await admin.click("#saved-close");
    await admin.click("#gaps-open");
    await admin.waitForSelector("#gaps-list li.gap", { timeout: 15000 });
    await shot(admin, "13-kb-gaps");
    await admin.click("#gaps-close");
    if (lateToken) {  // the 24-hour window closed: the reply box offers the templates
      const late = await (await browser.newContext({ viewport: { width: 1440, height: 900 },
                                                     locale: "en-GB" })).newPage();
      await signIn(late, lateToken);
      await late.locator("#inbox li", { hasText: "Sam" }).first().click();
      await late.waitForSelector("#window-box", { state: "visible", timeout: 15000 });
      await late.selectOption("#template-pick", "follow_up|en_US");
      await shot(late, "11-template-picker");
    }
    const sim = await (await browser.newContext({ viewport: { width: 1000, height: 800 },
                                                  locale: "en-GB" })).newPage();
    await sim.goto(base + "/simulator");
    await sim.fill("#text", "¿cuál es el horario?");
    await sim.press("#text", "Enter");
    await sim.waitForSelector(".bubble.them", { timeout: 15000 });
    await sim.fill("#text", "Os copio aquí el correo entero del transportista: " + "bla ".repeat(1100));
    await sim.press("#text", "Enter");
    await sim.waitForSelector(".bubble.not-sent");
    await shot(sim, "09-simulator");
    // 12: a customer's image in the conversation (tools/screenshots.py sent it to Tom).
    await page.locator("#inbox li", { hasText: "Tom" }).first().click();
    await page.waitForFunction(() => {
      const img = document.querySelector("#transcript img.media-image");
      return img && img.complete && img.naturalWidth > 0;
    }, null, { timeout: 15000 });
    await shot(page, "12-image-in-conversation");
  } finally {
    await browser.close();
  }
})().catch((error) => { console.error(error); process.exit(1); });
