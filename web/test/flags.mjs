// Chromium flags for every test run here. playwright-core adds a fresh temporary
// --user-data-dir per launch, so no profile state leaks between runs.
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
