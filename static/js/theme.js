// Light and dark colour modes: the reader's choice if they made one,
// otherwise what their system prefers. Loaded in <head> so the page never
// flashes the wrong mode before it is painted.
(() => {
  const stored = () => localStorage.getItem("theme");
  const preferred = () =>
    stored() || (window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
  const apply = (theme) => document.documentElement.setAttribute("data-bs-theme", theme);

  apply(preferred());

  window.addEventListener("DOMContentLoaded", () => {
    const toggle = document.getElementById("theme-toggle");
    if (!toggle) return;
    // The button's name stays "Dark mode"; only aria-pressed (and the look CSS gives it)
    // changes, so a screen reader hears "Dark mode, toggle button, pressed" when it is on.
    const dark = () => document.documentElement.getAttribute("data-bs-theme") === "dark";
    const showState = () => toggle.setAttribute("aria-pressed", String(dark()));
    showState();
    toggle.addEventListener("click", () => {
      const next = dark() ? "light" : "dark";
      localStorage.setItem("theme", next);
      apply(next);
      showState();
    });
  });
})();
