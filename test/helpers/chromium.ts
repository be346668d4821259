import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { killAfterFile, removeAfterFile } from "./cleanup";
import { REPO_ROOT } from "./cli";

/**
 * The headless Chromium that `npm ci` installs: @sparticuz/chromium ships it brotli-compressed with the
 * NSS libraries it links against and a font, so the test needs nothing from apt. Each browser is unpacked
 * into its own temporary folder (not the package's shared /tmp/chromium), driven by puppeteer-core over
 * a pipe, and the folder is removed on close.
 */
const PACKED = path.join(REPO_ROOT, "node_modules", "@sparticuz", "chromium", "bin");

// This machine's network is closed: without these Chromium keeps dialling Google's hosts.
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--hide-scrollbars",
  // The packaged build is a headless shell built for single-process use without the zygote.
  "--no-zygote",
  "--single-process",
];

export interface HeadlessChromium {
  /** The DOM as Chromium parsed and laid it out. */
  renderDom(file: string): Promise<string>;
  /** A screenshot of the page as decoded RGBA pixels. */
  renderScreenshot(file: string, width?: number, height?: number): Promise<Png>;
  /** Ends the browser process and removes its unpacked binary and profile. */
  close(): Promise<void>;
}

/** Unpacks and starts Chromium; call close() in afterAll. */
export async function startChromium(): Promise<HeadlessChromium> {
  const home = removeAfterFile(fs.mkdtempSync(path.join(os.tmpdir(), "sto-chromium-")));
  const remove = (): void => fs.rmSync(home, { recursive: true, force: true });
  let browser: Browser | undefined;
  try {
    const executable = path.join(home, "chromium");
    await pipeline(fs.createReadStream(path.join(PACKED, "chromium.br")), zlib.createBrotliDecompress(), fs.createWriteStream(executable, { mode: 0o700 }));
    untar(zlib.brotliDecompressSync(fs.readFileSync(path.join(PACKED, "al2023.tar.br"))), home);
    untar(zlib.brotliDecompressSync(fs.readFileSync(path.join(PACKED, "fonts.tar.br"))), home);
    // The package's fonts.conf names /tmp/fonts; ours names this browser's own folder.
    const fontsConf = path.join(home, "fonts.conf");
    fs.writeFileSync(fontsConf, `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig><dir>${path.join(home, "fonts")}</dir><cachedir>${path.join(home, "fonts-cache")}</cachedir></fontconfig>\n`);
    browser = await puppeteer.launch({
      executablePath: executable,
      headless: "shell",
      pipe: true,
      args: FLAGS,
      userDataDir: path.join(home, "profile"),
      env: { ...process.env, LD_LIBRARY_PATH: path.join(home, "lib"), FONTCONFIG_FILE: fontsConf },
      timeout: 120_000,
      protocolTimeout: 120_000,
    });
  } catch (error) {
    remove();
    throw error;
  }
  const running = browser;
  const processOfBrowser = running.process();
  if (processOfBrowser) killAfterFile(processOfBrowser);
  const render = async <T>(file: string, width: number, height: number, read: (page: Page) => Promise<T>): Promise<T> => {
    const page = await running.newPage();
    try {
      await page.setViewport({ width, height });
      await page.goto(`file://${file}`, { waitUntil: "load" });
      return await read(page);
    } finally {
      await page.close();
    }
  };
  return {
    renderDom: (file) => render(file, 1000, 800, (page) => page.content()),
    renderScreenshot: (file, width = 1000, height = 800) =>
      render(file, width, height, async (page) => decodePng(Buffer.from(await page.screenshot({ type: "png" })))),
    close: async () => {
      try {
        await running.close();
      } finally {
        running.process()?.kill("SIGKILL");
        remove();
      }
    },
  };
}

/** Extracts the regular files and folders of an uncompressed tar archive (what the package ships). */
function untar(archive: Buffer, into: string): void {
  let offset = 0;
  while (offset + 512 <= archive.length) {
    const header = archive.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const field = (start: number, length: number): string => header.toString("utf8", start, start + length).replace(/\0.*$/s, "");
    const prefix = field(345, 155);
    const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
    const size = parseInt(field(124, 12).trim() || "0", 8);
    const type = field(156, 1) || "0";
    const target = path.resolve(into, name);
    if (!target.startsWith(into + path.sep)) throw new Error(`tar entry outside the folder: ${name}`);
    if (type === "5") fs.mkdirSync(target, { recursive: true });
    else if (type === "0") {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, archive.subarray(offset + 512, offset + 512 + size), { mode: parseInt(field(100, 8).trim() || "644", 8) & 0o755 });
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
}

export interface Png {
  width: number;
  height: number;
  /** RGBA, 4 bytes a pixel, row by row. */
  pixels: Buffer;
}

/** A minimal PNG decoder (8-bit RGB or RGBA, non-interlaced: what Chromium writes). */
export function decodePng(data: Buffer): Png {
  let offset = 8;
  let width = 0;
  let height = 0;
  let colourType = 0;
  const idat: Buffer[] = [];
  while (offset < data.length) {
    const length = data.readUInt32BE(offset);
    const type = data.toString("ascii", offset + 4, offset + 8);
    const chunk = data.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = chunk.readUInt32BE(0);
      height = chunk.readUInt32BE(4);
      if (chunk[8] !== 8 || chunk[12] !== 0) throw new Error("only 8-bit non-interlaced PNG is supported");
      colourType = chunk[9];
    } else if (type === "IDAT") {
      idat.push(chunk);
    }
    offset += 12 + length;
  }
  const channels = colourType === 6 ? 4 : colourType === 2 ? 3 : 0;
  if (channels === 0) throw new Error(`unsupported PNG colour type ${colourType}`);
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(width * height * 4);
  let previous = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let x = 0; x < stride; x++) {
      const left = x >= channels ? line[x - channels] : 0;
      const up = previous[x];
      const upLeft = x >= channels ? previous[x - channels] : 0;
      let predictor = 0;
      if (filter === 1) predictor = left;
      else if (filter === 2) predictor = up;
      else if (filter === 3) predictor = (left + up) >> 1;
      else if (filter === 4) {
        const estimate = left + up - upLeft;
        const [a, b, c] = [Math.abs(estimate - left), Math.abs(estimate - up), Math.abs(estimate - upLeft)];
        predictor = a <= b && a <= c ? left : b <= c ? up : upLeft;
      }
      line[x] = (line[x] + predictor) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      pixels[(y * width + x) * 4] = line[x * channels];
      pixels[(y * width + x) * 4 + 1] = line[x * channels + 1];
      pixels[(y * width + x) * 4 + 2] = line[x * channels + 2];
      pixels[(y * width + x) * 4 + 3] = channels === 4 ? line[x * channels + 3] : 255;
    }
    previous = line;
  }
  return { width, height, pixels };
}

/** How many pixels have exactly this colour ("#rrggbb"). */
export function countColour(png: Png, hex: string): number {
  const [r, g, b] = [1, 3, 5].map((start) => parseInt(hex.slice(start, start + 2), 16));
  let count = 0;
  for (let index = 0; index < png.pixels.length; index += 4) {
    if (png.pixels[index] === r && png.pixels[index + 1] === g && png.pixels[index + 2] === b) count += 1;
  }
  return count;
}
