// Colours come from VS Code's theme variables. In VS Code the webview sets them (light, dark,
// high contrast); in the browser style.css defines them for light and dark (html[data-theme]),
// chosen by prefers-color-scheme unless the user picked one with the toggle (kept in localStorage).
import type { DashboardHost } from '../shared/webview';

export type BrowserTheme = 'light' | 'dark';
const STORAGE_KEY = 'fugusashi.dashboard.theme';

export function currentHost(): DashboardHost {
  return document.documentElement.dataset.host === 'vscode' ? 'vscode' : 'browser';
}

function storedTheme(): BrowserTheme | null {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    return stored === 'light' || stored === 'dark' ? stored : null;
  } catch {
    return null; // storage disabled
  }
}

const darkQuery = (): MediaQueryList => matchMedia('(prefers-color-scheme: dark)');

/** The theme the browser page shows now. */
export function browserTheme(): BrowserTheme {
  return document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light';
}

/** Sets data-theme from the stored choice, else the OS preference, and follows the OS until the user picks. */
export function initBrowserTheme(): void {
  const apply = () => {
    document.documentElement.dataset.theme = storedTheme() ?? (darkQuery().matches ? 'dark' : 'light');
  };
  apply();
  darkQuery().addEventListener('change', apply);
}

/** The toggle: an explicit choice, remembered across reloads. */
export function setBrowserTheme(theme: BrowserTheme): void {
  document.documentElement.dataset.theme = theme;
  try {
    localStorage.setItem(STORAGE_KEY, theme);
  } catch {
    // storage disabled: the choice lasts for this page only
  }
}

/** Calls `onChange` whenever the colours change (VS Code theme switch, toggle, OS preference). */
export function watchTheme(onChange: () => void): void {
  new MutationObserver(onChange).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  new MutationObserver(onChange).observe(document.documentElement, {
    attributes: true,
    attributeFilter: ['data-theme', 'style'],
  });
}

export function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

/** Series colours from the theme's chart palette, in a stable order. */
export function palette(): string[] {
  return [
    cssVar('--vscode-charts-blue', '#3794ff'),
    cssVar('--vscode-charts-orange', '#d18616'),
    cssVar('--vscode-charts-green', '#89d185'),
    cssVar('--vscode-charts-purple', '#b180d7'),
    cssVar('--vscode-charts-red', '#f14c4c'),
    cssVar('--vscode-charts-yellow', '#cca700'),
  ];
}

/** Stable colour per model name so a model keeps its colour across charts and reloads. */
export function colourFor(name: string, names: readonly string[]): string {
  const colours = palette();
  const i = names.indexOf(name);
  return colours[(i < 0 ? 0 : i) % colours.length] ?? '#888';
}
