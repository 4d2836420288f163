// The article editor's Write / Preview tabs. Without JavaScript the tabs stay
// hidden and the Preview button submits the form, which the server answers
// with the rendered body under it; with it, the body is rendered in place by
// POSTing it to the preview endpoint, and nothing is saved.
(() => {
  const form = document.getElementById("article-form");
  if (!form) return;
  const tabs = form.querySelector("[data-editor-tabs]");
  const writeTab = form.querySelector("#write-tab");
  const previewTab = form.querySelector("#preview-tab");
  const writePane = form.querySelector("#write-pane");
  const previewPane = form.querySelector("#preview-pane");
  const body = form.elements.namedItem("body");
  const csrfToken = form.elements.namedItem("csrfmiddlewaretoken").value;

  const select = (showPreview) => {
    writeTab.classList.toggle("active", !showPreview);
    previewTab.classList.toggle("active", showPreview);
    writeTab.setAttribute("aria-selected", String(!showPreview));
    previewTab.setAttribute("aria-selected", String(showPreview));
    writePane.hidden = showPreview;
    previewPane.hidden = !showPreview;
  };

  const showMessage = (text) => {
    const message = document.createElement("p");
    message.className = "text-danger mb-0";
    message.textContent = text;
    previewPane.replaceChildren(message);
  };

  const preview = async () => {
    select(true);
    previewPane.setAttribute("aria-busy", "true");
    previewPane.textContent = "Rendering…";
    try {
      const response = await fetch(form.dataset.previewUrl, {
        method: "POST",
        body: new URLSearchParams({ body: body.value }),
        headers: { "X-CSRFToken": csrfToken },
        credentials: "same-origin",
        // A redirect means the session ended: it would lead to the login page.
        redirect: "manual",
      });
      if (response.type === "opaqueredirect") {
        showMessage("Your session has ended: log in again in another tab, then preview again.");
      } else if (!response.ok) {
        showMessage(`The preview failed (${response.status}). Your text is safe in the Write tab.`);
      } else {
        // Sanitised on the server by render_markdown: the same HTML the article page shows.
        previewPane.innerHTML = await response.text();
      }
    } catch {
      showMessage("The preview could not reach the server. Your text is safe in the Write tab.");
    } finally {
      previewPane.removeAttribute("aria-busy");
    }
  };

  tabs.hidden = false;
  form.querySelector("[data-preview-submit]").hidden = true;
  select(false);
  writeTab.addEventListener("click", () => {
    select(false);
    body.focus();
  });
  previewTab.addEventListener("click", preview);
})();

// Tag suggestions: a datalist completes the whole input, so while the author
// types after a comma each suggestion is offered with what comes before it
// ("Python, Dj" → "Python, Django"), and tags already typed are not offered again.
(() => {
  const input = document.querySelector("[data-tag-input]");
  const list = input && document.getElementById(input.getAttribute("list"));
  if (!list) return;
  const names = Array.from(list.options, (option) => option.value);

  const offer = () => {
    const typed = input.value;
    const cut = typed.lastIndexOf(",") + 1;
    const before = cut ? `${typed.slice(0, cut).trimEnd()} ` : "";
    const chosen = new Set(typed.slice(0, cut).split(",").map((name) => name.trim().toLowerCase()));
    const options = names
      .filter((name) => !chosen.has(name.toLowerCase()))
      .map((name) => new Option("", before + name));
    list.replaceChildren(...options);
  };

  input.addEventListener("input", offer);
  input.addEventListener("focus", offer);
})();
