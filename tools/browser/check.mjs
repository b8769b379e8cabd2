// Opens an HTML file in headless Chromium at a viewport width and prints, as
// one JSON object on stdout, what a reader at that width gets: whether the
// page scrolls sideways, and for each table its scroll container (the
// nearest ancestor whose overflow-x scrolls), whether that container fits
// the viewport, and whether its last header cell can be scrolled into view
// inside it. tests/test_html_layout.py asserts on the numbers.
//
//   node tools/browser/check.mjs FILE WIDTH
//
// Chromium comes from the npm package @sparticuz/chromium (a brotli-packed
// binary, unpacked once per version into node_modules/.chromium-VERSION/, so
// `npm ci` of another version never finds an old one); puppeteer-core drives
// it. Exit 0 with the JSON, 2 on bad arguments, 1 when the browser fails.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const [file, widthText] = process.argv.slice(2);
const width = Number.parseInt(widthText ?? "", 10);
if (!file || !existsSync(file) || !(width >= 200 && width <= 10000)) {
  console.error("usage: node tools/browser/check.mjs FILE WIDTH (an existing file, 200 <= WIDTH <= 10000)");
  process.exit(2);
}

// Unpack the binary into a directory of our own, never a half-unpacked one:
// @sparticuz/chromium unpacks into os.tmpdir() and reuses whatever
// `chromium` it finds there, so unpack into a fresh directory and rename it.
async function executable(chromium) {
  const packed = join(here, "node_modules", "@sparticuz", "chromium", "package.json");
  const cache = join(here, "node_modules", `.chromium-${JSON.parse(readFileSync(packed, "utf8")).version}`);
  if (!existsSync(join(cache, "chromium"))) {
    const staging = `${cache}.${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    process.env.TMPDIR = staging;
    await chromium.executablePath();
    try {
      renameSync(staging, cache);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another run got there first
    }
  }
  process.env.TMPDIR = cache;
  return join(cache, "chromium");
}

function measure() {
  const doc = document.scrollingElement;
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return { left: r.left, right: r.right, width: r.width };
  };
  const tables = [...document.querySelectorAll("table")].map((table) => {
    let container = table.parentElement;
    while (container && !["auto", "scroll"].includes(getComputedStyle(container).overflowX)) {
      container = container.parentElement;
    }
    const headers = table.tHead ? [...table.tHead.rows[0].cells] : [];
    const last = headers[headers.length - 1];
    const cells = [...table.querySelectorAll("td, th")].filter((c) => c.colSpan === 1); // a spanning cell is as wide as its columns
    const widest = Math.max(0, ...cells.map((c) => c.getBoundingClientRect().width));
    const result = { id: table.id, table: box(table), widest_cell: widest, container: null };
    if (!container || container === document.body || container === document.documentElement) return result;
    const before = container.scrollLeft;
    container.scrollLeft = container.scrollWidth; // as far right as it goes
    const scrolled = { container: box(container), last: last ? box(last) : null };
    container.scrollLeft = before;
    result.container = {
      tag: container.tagName.toLowerCase(),
      overflow_x: getComputedStyle(container).overflowX,
      scroll_width: container.scrollWidth,
      client_width: container.clientWidth,
      ...box(container),
    };
    if (last) {
      // The last header cell's position inside the container's scrolled content.
      const offset = last.getBoundingClientRect().left - container.getBoundingClientRect().left + container.scrollLeft;
      result.last_header = {
        text: last.textContent.trim(),
        start: offset,
        end: offset + last.getBoundingClientRect().width,
        // Scrolled fully right: the cell lies inside the container's box.
        visible_when_scrolled: scrolled.last.left >= scrolled.container.left - 1 &&
          scrolled.last.right <= scrolled.container.right + 1,
      };
    }
    return result;
  });
  return {
    viewport: window.innerWidth,
    document: { scroll_width: doc.scrollWidth, client_width: doc.clientWidth },
    tables,
  };
}

let browser;
try {
  const { default: chromium } = await import("@sparticuz/chromium");
  const puppeteer = await import("puppeteer-core");
  browser = await puppeteer.launch({
    executablePath: await executable(chromium),
    args: chromium.args,
    headless: "shell",
    defaultViewport: { width, height: 800 },
  });
  const page = await browser.newPage();
  await page.goto(pathToFileURL(resolve(file)).href, { waitUntil: "load" });
  const result = await page.evaluate(measure);
  result.browser = await browser.version();
  process.stdout.write(JSON.stringify(result) + "\n");
} catch (error) {
  console.error(`browser check failed: ${String(error && error.message || error).split("\n")[0]}`);
  process.exitCode = 1;
} finally {
  if (browser) await browser.close();
}
