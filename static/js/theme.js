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
    const label = () => {
      const dark = document.documentElement.getAttribute("data-bs-theme") === "dark";
      toggle.setAttribute("aria-pressed", String(dark));
      toggle.querySelector("[data-theme-label]").textContent = dark ? "Light mode" : "Dark mode";
    };
    label();
    toggle.addEventListener("click", () => {
      const next = document.documentElement.getAttribute("data-bs-theme") === "dark" ? "light" : "dark";
      localStorage.setItem("theme", next);
      apply(next);
      label();
    });
  });
})();
