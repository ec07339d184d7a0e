// The demo workspace page: shows what /ui/state renders, and turns clicks, selects, modal
// submits and typed slash commands into /ui/* requests (the server makes Slack's requests).
"use strict";
(() => {
  const body = document.body;
  const page = {
    user: body.dataset.user,
    conv: body.dataset.conv,
    // This load of the page: a client of its own, as a Slack client is. The modals opened here
    // show here only; loaded again, the page is another client and starts with none.
    client: body.dataset.client,
    version: -1,
    controller: null,
    modalId: null,
    modalHtml: null,
    paneHtml: null,
    homeAsked: null,
    codeTimer: null,
  };
  const $ = (id) => document.getElementById(id);
  // The page's own words in the demo's language (paybot/demo/strings.py), given in the page.
  const words = JSON.parse($("words").textContent);
  const say = (name, values = {}) =>
    words[name].replace(/\{(\w+)\}/g, (field, key) => (key in values ? String(values[key]) : field));
  const modalLayer = $("modal-layer");
  const modal = modalLayer.querySelector(".modal");

  function toast(text) {
    const t = $("toast");
    t.textContent = text;
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.hidden = true; }, 5000);
  }

  // The demo was restarted since this page was loaded: what it shows is of the earlier run.
  function loadAgain(answer) {
    if (answer && answer.reload) window.location.reload();
    return Boolean(answer && answer.reload);
  }

  async function post(what, data) {
    const response = await fetch(`/ui/${what}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ as: page.user, client: page.client, ...data }),
    });
    const answer = await response.json().catch(() => ({ ok: false, error: say("no_answer") }));
    if (loadAgain(answer)) return answer;
    if (!answer.ok) toast(answer.error || say("did_not_work"));
    return answer;
  }

  // --- showing the state ----------------------------------------------------------------

  function renderConversations(list) {
    const nav = $("convs");
    const html = list.map((c) =>
      `<button type="button" class="conv${c.id === page.conv ? " active" : ""}" data-conv="${c.id}">` +
      `${escapeHtml(c.name)}</button>`).join("");
    if (nav.innerHTML !== html) nav.innerHTML = html;
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }

  function renderCode(code) {
    const box = $("code");
    clearInterval(page.codeTimer);
    if (!code) { box.hidden = true; return; }
    box.hidden = false;
    $("code-value").textContent = code.code.replace(/(\d{3})(\d{3})/, "$1 $2");
    let left = code.seconds_left;
    const tick = () => {
      $("code-left").textContent = left > 0 ? say("code_changes_in", { seconds: left }) : say("code_changing");
      left -= 1;
    };
    tick();
    page.codeTimer = setInterval(tick, 1000);
  }

  function renderPane(pane) {
    $("conv-title").textContent = pane.title;
    $("conv-sub").textContent = pane.subtitle;
    const box = $("pane");
    if (page.paneHtml === pane.html) return;
    const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 40;
    const switched = box.dataset.conv !== pane.id;
    box.innerHTML = pane.html;
    box.dataset.conv = pane.id;
    page.paneHtml = pane.html;
    if (pane.id === "home") box.scrollTop = switched ? 0 : box.scrollTop;
    else if (atBottom || switched) box.scrollTop = box.scrollHeight;
  }

  function renderModal(view) {
    if (!view) {
      modalLayer.hidden = true;
      page.modalId = page.modalHtml = null;
      return;
    }
    const bodyBox = modal.querySelector(".modal-body");
    const sameView = page.modalId === view.view_id;
    if (!sameView || page.modalHtml !== view.html) {
      const kept = sameView ? collectValues(bodyBox) : null;
      bodyBox.innerHTML = view.html;
      bodyBox.dataset.container = "view";
      bodyBox.dataset.viewId = view.view_id;
      if (kept) restoreValues(bodyBox, kept);
    }
    page.modalId = view.view_id;
    page.modalHtml = view.html;
    $("modal-title").textContent = view.title;
    modal.querySelector(".modal-back").hidden = view.depth < 2;
    const close = modal.querySelector(".modal-close");
    close.textContent = view.close || say("cancel");
    const submit = modal.querySelector(".modal-submit");
    submit.textContent = view.submit;
    submit.hidden = !view.submit;
    if (modalLayer.hidden) {
      modalLayer.hidden = false;
      const first = bodyBox.querySelector("input, textarea, select");
      if (first) first.focus();
    }
  }

  function render(state) {
    page.version = state.version;
    $("person").value = state.user;
    $("clock").textContent = state.clock;
    renderCode(state.code);
    renderConversations(state.conversations);
    renderPane(state.pane);
    renderModal(state.modal);
    if (page.conv === "home" && page.homeAsked !== page.user) {
      page.homeAsked = page.user;
      post("home", {});
    }
  }

  async function fetchState() {
    if (page.controller) page.controller.abort();
    const controller = new AbortController();
    page.controller = controller;
    const query = new URLSearchParams({
      as: page.user, conv: page.conv, since: String(page.version), client: page.client,
    });
    const response = await fetch(`/ui/state?${query}`, { signal: controller.signal });
    const state = await response.json();
    if (controller.signal.aborted) return;
    if (loadAgain(state)) await new Promise(() => {}); // no more asking: the page is going
    if (!state.ok) throw new Error(state.error || "no state");
    render(state);
  }

  async function loop() {
    for (;;) {
      try {
        await fetchState();
      } catch (error) {
        if (error.name !== "AbortError") await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  function showAgain() {
    // Something the page asked for changed: the next state comes at once, not after a change.
    page.version = -1;
    page.paneHtml = null;
    if (page.controller) page.controller.abort();
  }

  // --- reading inputs -----------------------------------------------------------------------

  function option(element) {
    return element && element.dataset.option ? JSON.parse(element.dataset.option) : null;
  }

  function fieldValue(field) {
    const type = field.dataset.type;
    if (type === "static_select") return { type, selected_option: option(field.selectedOptions[0]) };
    if (type === "multi_static_select") {
      return { type, selected_options: [...field.selectedOptions].map(option).filter(Boolean) };
    }
    if (type === "users_select") return { type, selected_user: field.value || null };
    if (type === "datepicker") return { type, selected_date: field.value || null };
    if (type === "checkboxes") {
      return { type, selected_options: [...field.querySelectorAll("input:checked")].map(option) };
    }
    if (type === "radio_buttons") return { type, selected_option: option(field.querySelector("input:checked")) };
    return { type, value: field.value === "" ? null : field.value };
  }

  function collectValues(root) {
    const values = {};
    root.querySelectorAll(".bk-input").forEach((wrapper) => {
      const field = wrapper.querySelector(".bk-field");
      if (!field) return;
      (values[wrapper.dataset.blockId] ||= {})[field.dataset.actionId] = fieldValue(field);
    });
    return values;
  }

  function restoreValues(root, values) {
    root.querySelectorAll(".bk-input").forEach((wrapper) => {
      const field = wrapper.querySelector(".bk-field");
      const kept = field && (values[wrapper.dataset.blockId] || {})[field.dataset.actionId];
      if (!kept) return;
      if ("value" in kept && kept.value !== null && "value" in field) field.value = kept.value;
      if (kept.selected_date) field.value = kept.selected_date;
      if (kept.selected_option && field.tagName === "SELECT") field.value = kept.selected_option.value;
    });
  }

  // --- acting -------------------------------------------------------------------------------

  function containerOf(element) {
    const box = element.closest("[data-container]");
    if (!box) return null;
    if (box.dataset.container === "view") return { type: "view", view_id: box.dataset.viewId };
    return {
      type: "message",
      channel: box.dataset.channel,
      ts: box.dataset.ts,
      ephemeral: box.dataset.ephemeral === "true",
    };
  }

  function actionOf(element) {
    const action = {
      action_id: element.dataset.actionId,
      block_id: element.dataset.blockId,
      type: element.dataset.type || "button",
    };
    if (action.type === "button") {
      action.text = { type: "plain_text", text: element.textContent.trim(), emoji: true };
      if (element.dataset.value !== undefined) action.value = element.dataset.value;
    } else if (action.type === "overflow" || action.type === "static_select" || action.type === "radio_buttons") {
      action.selected_option = option(element.tagName === "SELECT" ? element.selectedOptions[0] : element);
    } else if (action.type === "datepicker") {
      action.selected_date = element.value || null;
    } else if (action.type === "checkboxes") {
      action.selected_options = [...element.querySelectorAll("input:checked")].map(option);
    } else {
      action.value = element.value;
    }
    return action;
  }

  function confirmFirst(element) {
    const asked = element.dataset.confirm ? JSON.parse(element.dataset.confirm) : null;
    if (!asked) return Promise.resolve(true);
    const layer = $("confirm-layer");
    const text = (o, fallback) => (o && o.text) || fallback;
    $("confirm-title").textContent = text(asked.title, say("are_you_sure"));
    layer.querySelector(".confirm-text").textContent = text(asked.text, "");
    const ok = layer.querySelector(".confirm-ok");
    const deny = layer.querySelector(".confirm-deny");
    ok.textContent = text(asked.confirm, say("yes"));
    ok.className = `confirm-ok${asked.style === "danger" ? " danger" : " primary"}`;
    deny.textContent = text(asked.deny, say("cancel"));
    layer.hidden = false;
    return new Promise((resolve) => {
      const done = (answer) => () => { layer.hidden = true; ok.onclick = deny.onclick = null; resolve(answer); };
      ok.onclick = done(true);
      deny.onclick = done(false);
    });
  }

  async function act(element) {
    const container = containerOf(element);
    if (!container) return;
    if (!(await confirmFirst(element))) return;
    if (element.dataset.url) window.open(element.dataset.url, "_blank", "noopener");
    const data = { container, action: actionOf(element) };
    if (container.type === "view") {
      const root = element.closest("[data-container]");
      data.values = collectValues(root);
    }
    element.classList.add("busy");
    try {
      await post("click", data);
    } finally {
      element.classList.remove("busy");
    }
  }

  function openMenu(overflow, open) {
    overflow.classList.toggle("open", open);
    const menu = overflow.querySelector(".bk-overflow-menu");
    if (menu) menu.hidden = !open;
  }

  document.addEventListener("click", (event) => {
    const toggle = event.target.closest(".bk-overflow-toggle");
    document.querySelectorAll(".bk-overflow.open").forEach((o) => {
      if (!toggle || o !== toggle.closest(".bk-overflow")) openMenu(o, false);
    });
    if (toggle) {
      const overflow = toggle.closest(".bk-overflow");
      openMenu(overflow, !overflow.classList.contains("open"));
      return;
    }
    const conv = event.target.closest(".conv");
    if (conv) {
      page.conv = conv.dataset.conv;
      page.homeAsked = null;
      showAgain();
      return;
    }
    const action = event.target.closest("button.bk-action, a.bk-action");
    if (action) {
      event.preventDefault();
      act(action);
    }
  });

  document.addEventListener("change", (event) => {
    const element = event.target.closest(".bk-action");
    if (element && element.tagName !== "BUTTON" && !element.closest(".bk-input")) act(element);
  });

  $("person").addEventListener("change", (event) => {
    page.user = event.target.value;
    page.homeAsked = null;
    page.modalId = null;
    showAgain();
  });

  $("composer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("message");
    const text = input.value.trim();
    if (!text) return;
    if (!text.startsWith("/")) {
      toast(say("slash_commands_only"));
      return;
    }
    input.value = "";
    const answer = await post("command", { channel: page.conv, text });
    if (answer.ok && answer.channel !== page.conv) {
      page.conv = answer.channel;
      showAgain();
    }
  });

  async function closeModal() {
    if (page.modalId) await post("close", { view_id: page.modalId });
  }

  modal.querySelector(".modal-x").addEventListener("click", closeModal);
  modal.querySelector(".modal-close").addEventListener("click", closeModal);
  modal.querySelector(".modal-back").addEventListener("click", closeModal);
  modal.querySelector(".modal-submit").addEventListener("click", async (event) => {
    const button = event.currentTarget;
    if (button.disabled || !page.modalId) return;
    button.disabled = true;
    try {
      await post("submit", { view_id: page.modalId, values: collectValues(modal.querySelector(".modal-body")) });
    } finally {
      button.disabled = false;
    }
  });
  modal.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.tagName === "INPUT") {
      event.preventDefault();
      modal.querySelector(".modal-submit").click();
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !modalLayer.hidden && $("confirm-layer").hidden) closeModal();
  });

  loop();
})();
