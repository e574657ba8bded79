// Browser fixture: the WCAG contrast of every visible piece of text on a page, as people see it
// (computed colours, backgrounds composited up the tree), in the default, hover, focus and
// disabled states of buttons and links.

import type { Page } from "playwright-core";

/** One text element's colours and contrast in one state. */
export interface ContrastSample {
  /** Where: page label, state, a short selector and the text. */
  where: string;
  foreground: string;
  background: string;
  ratio: number;
  /** 4.5 for normal text, 3 for large text (24 px, or 18.66 px bold). */
  required: number;
}

/** Elements whose look changes with hover, focus or disabled. */
const INTERACTIVE = "button, a[href], .button, summary, select, input, textarea";

/** Measures every visible element that holds text directly, in `state`; marks them by index. */
function measure(
  args: { state: string; only: number | null; label: string },
): ContrastSample[] {
  function parse(color: string): [number, number, number, number] {
    const m = color.match(/rgba?\(([^)]+)\)/);
    if (!m) throw new Error(`Cannot read colour ${color}`);
    const parts = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
  }
  function over(
    top: [number, number, number, number],
    under: [number, number, number],
  ): [number, number, number] {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)) as [number, number, number];
  }
  function luminance([r, g, b]: [number, number, number]): number {
    const lin = (v: number) => {
      const c = v / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  }
  function background(el: Element): [number, number, number] {
    const chain: Element[] = [];
    for (let node: Element | null = el; node; node = node.parentElement) chain.unshift(node);
    let color: [number, number, number] = [255, 255, 255];
    for (const node of chain) {
      const style = getComputedStyle(node);
      const bg = parse(style.backgroundColor);
      if (bg[3] > 0) color = over([bg[0], bg[1], bg[2], bg[3] * Number(style.opacity)], color);
    }
    return color;
  }
  function hex(rgb: [number, number, number]): string {
    return "#" + rgb.map((v) => Math.round(v).toString(16).padStart(2, "0")).join("");
  }
  const all = [...document.querySelectorAll("body *")].filter((el) =>
    [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim() !== "")
  );
  const samples: ContrastSample[] = [];
  all.forEach((el, index) => {
    if (args.only !== null && index !== args.only) return;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.visibility === "hidden" || box.width < 2 || box.height < 2) return;
    if (el.closest("[aria-hidden=true], .visually-hidden")) return;
    const bg = background(el);
    let opacity = 1;
    for (let node: Element | null = el; node; node = node.parentElement) {
      opacity *= Number(getComputedStyle(node).opacity);
    }
    const text = parse(style.color);
    const fg = over([text[0], text[1], text[2], text[3] * opacity], bg);
    const [light, dark] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
    const size = parseFloat(style.fontSize);
    const bold = Number(style.fontWeight) >= 700;
    const name = el.tagName.toLowerCase() +
      (el.className && typeof el.className === "string" ? "." + el.className.split(" ")[0] : "");
    samples.push({
      where: `${args.label} [${args.state}] ${name} "${
        (el.textContent ?? "").trim().slice(0, 40)
      }"`,
      foreground: hex(fg),
      background: hex(bg),
      ratio: Math.round(((light + 0.05) / (dark + 0.05)) * 100) / 100,
      required: size >= 24 || (size >= 18.66 && bold) ? 3 : 4.5,
    });
  });
  return samples;
}

/**
 * The contrast of every visible text element on `page` as it is now, then of each button, link
 * and form control hovered, focused and (for buttons) disabled. `label` names the page.
 */
export async function contrastSamples(page: Page, label: string): Promise<ContrastSample[]> {
  const samples = await page.evaluate(measure, {
    state: "default",
    only: null as number | null,
    label,
  });
  const interactive: number[] = await page.evaluate((selector) => {
    const all = [...document.querySelectorAll("body *")].filter((el) =>
      [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim() !== "")
    );
    return all.flatMap((el, index) => el.closest(selector) ? [index] : []);
  }, INTERACTIVE);
  for (const index of interactive) {
    const handle = await page.evaluateHandle(
      ({ index, selector }) => {
        const all = [...document.querySelectorAll("body *")].filter((el) =>
          [...el.childNodes].some((n) =>
            n.nodeType === Node.TEXT_NODE && n.textContent!.trim() !== ""
          )
        );
        return all[index].closest(selector) as HTMLElement;
      },
      { index, selector: INTERACTIVE },
    );
    const element = handle.asElement();
    if (!element || !(await element.isVisible())) continue;
    await element.hover({ force: true });
    samples.push(
      ...await page.evaluate(measure, { state: "hover", only: index as number | null, label }),
    );
    await element.focus();
    samples.push(
      ...await page.evaluate(measure, { state: "focus", only: index as number | null, label }),
    );
    await page.mouse.move(0, 0);
    await page.evaluate((el) => el.blur(), element);
    const isButton = await element.evaluate((el) =>
      el instanceof HTMLButtonElement && !el.disabled
    );
    if (isButton) {
      await element.evaluate((el) => (el as HTMLButtonElement).disabled = true);
      samples.push(
        ...await page.evaluate(measure, {
          state: "disabled",
          only: index as number | null,
          label,
        }),
      );
      await element.evaluate((el) => (el as HTMLButtonElement).disabled = false);
    }
    await handle.dispose();
  }
  return samples;
}

/** The samples below their required ratio, one line each, for an assertion message. */
export function contrastFailures(samples: ContrastSample[]): string[] {
  return samples
    .filter((sample) => sample.ratio < sample.required)
    .map((s) => `${s.where}: ${s.foreground} on ${s.background} = ${s.ratio}:1 (< ${s.required})`);
}
