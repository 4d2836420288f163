// Autosave of the article form (templates/articles/article_form.html), and the clean-up of the copy kept in
// the browser once the article is saved (on every signed-in page: the page after a save is not the form).
//
// While the author types, the title, excerpt and body are POSTed as JSON to the form's data-autosave-url
// 3 s after the last keystroke, and at most 10 s after the first unsent one while typing goes on: at most
// 6 requests a minute, none while nothing changed. Every keystroke also keeps the text in localStorage, so
// a failed autosave (offline, signed out, a server error) loses nothing: the status line says what failed,
// the script tries again every 15 s and when the browser is back online, and the next success clears it.
// Text kept in this browser that never reached the server is offered back when the form opens again.
(() => {
  const PREFIX = "blogsite.autosave.";
  const SAVED_COOKIE = "autosave_saved"; // autosaves/editing.py: set on the response to a successful save
  const QUIET_MS = 3_000;
  const MAX_WAIT_MS = 10_000;
  const RETRY_MS = 15_000;
  // Browsers refuse a keepalive request (the one sent as the page closes) above 64 KiB.
  const KEEPALIVE_LIMIT = 60_000;
  const FIELDS = ["title", "excerpt", "body"];

  const storage = (() => {
    try {
      window.localStorage.getItem(PREFIX); // throws where storage is off
      return window.localStorage;
    } catch {
      return null;
    }
  })();
  const readKept = (key) => {
    try {
      return JSON.parse(storage?.getItem(key) ?? "null");
    } catch {
      return null;
    }
  };
  const writeKept = (key, value) => {
    try {
      storage?.setItem(key, JSON.stringify(value));
      return true;
    } catch {
      return false; // full: the server's autosave is the only copy now
    }
  };
  const cookie = (name) =>
    document.cookie
      .split("; ")
      .find((part) => part.startsWith(`${name}=`))
      ?.slice(name.length + 1);

  // The page after a save: the server names the browser copy that the save made redundant.
  const saved = cookie(SAVED_COOKIE);
  if (saved !== undefined) {
    if (/^\d+\.(\d+|new)$/.test(saved)) storage?.removeItem(PREFIX + saved);
    document.cookie = `${SAVED_COOKIE}=; max-age=0; path=/; samesite=lax`;
  }

  const form = document.getElementById("article-form");
  if (!form?.dataset.autosaveUrl) return;
  const key = PREFIX + form.dataset.autosaveKey;
  const fields = FIELDS.map((name) => form.elements.namedItem(name));
  const version = form.elements.namedItem("version")?.value ?? "";
  const status = form.querySelector("[data-autosave-status]");
  const keptHere = () => (storage ? "your text is kept in this browser" : "copy your text somewhere safe");

  const current = () => Object.fromEntries(fields.map((field) => [field.name, field.value]));
  const same = (a, b) => a !== null && b !== null && FIELDS.every((name) => a[name] === b[name]);
  // What the server would store: surrounding space stripped, lines ended by LF.
  const asSaved = (text) => Object.fromEntries(FIELDS.map((name) => [name, text[name].replace(/\r\n?/g, "\n").trim()]));

  const show = (message, failed) => {
    status.textContent = message;
    status.classList.toggle("text-body-secondary", !failed);
    status.classList.toggle("text-danger-emphasis", failed);
    status.classList.toggle("fw-semibold", failed);
  };

  // The CSRF cookie rather than the form's token: signing in again (in another tab) replaces it.
  const csrfToken = () => cookie("csrftoken") ?? form.elements.namedItem("csrfmiddlewaretoken").value;

  // The server has the form's text as the page shows it, unless the page is a form sent back with errors.
  let lastSent = "autosaveUnsaved" in form.dataset ? null : current();
  let firstUnsentAt = null;
  let timer = null;
  let inFlight = false;
  let notBefore = 0; // after a failure: no new attempt before this time, however much is typed
  let submitting = false;

  const keep = () => writeKept(key, { ...current(), version, at: Date.now(), sent: false });

  const schedule = (delay) => {
    clearTimeout(timer);
    timer = null;
    if (same(current(), lastSent)) {
      firstUnsentAt = null;
      return;
    }
    const now = Date.now();
    firstUnsentAt ??= now;
    const due = delay ?? Math.min(QUIET_MS, firstUnsentAt + MAX_WAIT_MS - now);
    timer = setTimeout(send, Math.max(0, due, notBefore - now));
  };

  const failure = async (response) => {
    if (response.type === "opaqueredirect") return `Signed out: sign in again in another tab; ${keptHere()}.`;
    const answer = await response.json().catch(() => ({}));
    if (response.status === 401 || (response.status === 403 && answer.error !== "forbidden")) {
      // 401 from the endpoint; a 403 page without its JSON is Django's CSRF refusal of an ended session.
      return `Signed out: sign in again in another tab; ${keptHere()}.`;
    }
    if (answer.message) return `Could not autosave (${answer.message}); ${keptHere()}.`;
    return `Could not autosave: the server answered ${response.status}; ${keptHere()}.`;
  };

  async function send({ closing = false } = {}) {
    clearTimeout(timer);
    timer = null;
    const text = current();
    if (same(text, lastSent)) return;
    if (inFlight && !closing) return; // rescheduled when the request in flight ends
    const payload = JSON.stringify({ ...text, version });
    inFlight = true;
    let outcome = null; // null: saved; else the message to show
    try {
      const response = await fetch(form.dataset.autosaveUrl, {
        method: "POST",
        body: payload,
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        credentials: "same-origin",
        redirect: "manual", // a redirect would be to the login page
        keepalive: closing && payload.length < KEEPALIVE_LIMIT,
      });
      if (response.ok) {
        const answer = await response.json();
        lastSent = text;
        if (same(readKept(key), text)) writeKept(key, { ...readKept(key), sent: true });
        show(`Saved a draft at ${answer.saved_at_label}`, false);
      } else {
        outcome = await failure(response);
      }
    } catch {
      outcome = navigator.onLine
        ? `Could not autosave: the server cannot be reached; ${keptHere()}.`
        : `Could not autosave: you are offline; ${keptHere()}.`;
    } finally {
      inFlight = false;
    }
    if (closing) return;
    if (outcome !== null) {
      show(outcome, true);
      notBefore = Date.now() + RETRY_MS;
      schedule(RETRY_MS);
    } else {
      firstUnsentAt = null;
      notBefore = 0;
      schedule(); // typed on while it was in flight
    }
  }

  // Text kept here that the server never received: offered back, as the server's autosave is above the form.
  const offerKept = (kept) => {
    const offer = document.createElement("section");
    offer.className = "alert alert-warning autosave-offer";
    offer.setAttribute("aria-labelledby", "kept-offer-heading");
    const heading = document.createElement("h2");
    heading.className = "h6 fw-semibold";
    heading.id = "kept-offer-heading";
    const when = new Date(kept.at).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
    heading.textContent = `Text kept in this browser from ${when} was never autosaved`;
    const what = document.createElement("p");
    const differing = FIELDS.filter((name) => asSaved(kept)[name] !== asSaved(current())[name]);
    what.className = "mb-2";
    what.textContent =
      `It differs from the form in its ${differing.join(", ")}` +
      (kept.version !== version ? ", and the article was saved since it was typed." : ".") +
      " Restoring it fills the form; nothing is saved until you press Save.";
    const buttons = document.createElement("div");
    buttons.className = "d-flex flex-wrap gap-2";
    const button = (label, action) => {
      const element = document.createElement("button");
      element.type = "button";
      element.className = "btn btn-sm btn-alert";
      element.textContent = label;
      element.addEventListener("click", () => {
        action();
        offer.remove();
      });
      buttons.append(element);
    };
    button("Restore it", () => {
      for (const field of fields) field.value = kept[field.name] ?? "";
      keep();
      schedule();
      fields[0].focus();
    });
    button("Discard it", () => storage.removeItem(key));
    offer.append(heading, what, buttons);
    form.before(offer);
  };

  const kept = readKept(key);
  if (kept !== null) {
    const keptText = Object.fromEntries(FIELDS.map((name) => [name, String(kept[name] ?? "")]));
    if (kept.sent || same(asSaved(keptText), asSaved(current()))) {
      storage.removeItem(key); // the server has it: as the autosave offered above, or as the saved text
    } else {
      offerKept({ ...kept, ...keptText });
    }
  }
  if (lastSent === null) {
    keep();
    schedule();
  }

  for (const field of fields) {
    field.addEventListener("input", () => {
      keep();
      schedule();
    });
  }
  window.addEventListener("online", () => {
    notBefore = 0;
    if (!same(current(), lastSent)) send();
  });
  // Closing or leaving the page: what the last few seconds typed, in a request that outlives it.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden" && !submitting) send({ closing: true });
  });
  form.addEventListener("submit", () => {
    submitting = true;
    clearTimeout(timer);
    // The form's own token is stale once the author signed in again in another tab.
    const token = cookie("csrftoken");
    if (token) form.elements.namedItem("csrfmiddlewaretoken").value = token;
  });
  for (const discard of document.querySelectorAll("[data-autosave-discard]")) {
    discard.addEventListener("submit", () => storage?.removeItem(key));
  }
})();
