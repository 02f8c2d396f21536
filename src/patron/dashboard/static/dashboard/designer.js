// The journey designer: settings shown for the chosen trigger and action, rows added, moved and removed,
// operators that fit the field, and the audience counted on the server as it is edited.
"use strict";
(function () {
  const form = document.getElementById("journey-designer");
  if (!form) return;
  const kinds = JSON.parse(document.getElementById("field-kinds").textContent);
  const words = JSON.parse(document.getElementById("designer-words").textContent);

  function showFor(select, attribute, scope) {
    scope.querySelectorAll("[" + attribute + "]").forEach(function (el) {
      const wanted = el.getAttribute(attribute).split(" ").indexOf(select.value) >= 0;
      el.hidden = !wanted;
    });
  }

  const trigger = form.querySelector("[name=trigger]");
  if (trigger) {
    showFor(trigger, "data-for-trigger", form);
    trigger.addEventListener("change", function () { showFor(trigger, "data-for-trigger", form); });
  }

  function renumber(list) {
    let n = 0;
    list.querySelectorAll("[data-row]").forEach(function (row) {
      if (row.hidden) return;
      n += 1;
      const order = row.querySelector("input[name$=-ORDER]");
      if (order) order.value = n;
      const number = row.querySelector(".step-number");
      if (number) number.textContent = n + ".";
    });
  }

  function fitCondition(row) {
    const field = row.querySelector("select[name$=-field]");
    const op = row.querySelector("select[name$=-op]");
    const value = row.querySelector("input[name$=-value]");
    if (!field || !op || !value) return;
    const kind = (kinds[field.value] || {}).kind;
    const ops = (kinds[field.value] || {}).ops || [];
    Array.from(op.options).forEach(function (o) { o.hidden = o.disabled = ops.indexOf(o.value) < 0; });
    if (ops.indexOf(op.value) < 0) op.value = ops[0];
    let choice = row.querySelector("select.bool-value");
    if (kind === "bool") {
      if (!choice) {
        choice = document.createElement("select");
        choice.className = "bool-value";
        choice.setAttribute("aria-label", value.labels && value.labels[0] ? value.labels[0].textContent : "");
        [["yes", words.yes], ["no", words.no], ["unknown", words.unknown]].forEach(function (pair) {
          const o = document.createElement("option");
          o.value = pair[0]; o.textContent = pair[1];
          choice.appendChild(o);
        });
        choice.addEventListener("change", function () { value.value = choice.value; count(); });
        value.after(choice);
      }
      if (["yes", "no", "unknown"].indexOf(value.value) < 0) value.value = "yes";
      choice.value = value.value;
      value.hidden = true;
    } else {
      if (choice) choice.remove();
      value.hidden = false;
      if (["yes", "no", "unknown"].indexOf(value.value) >= 0) value.value = "";
      value.placeholder = words[kind] || "";
    }
  }

  function fitStep(row) {
    const action = row.querySelector("select[name$=-action]");
    if (action) showFor(action, "data-for-action", row);
  }

  function wire(row) {
    row.querySelectorAll("select[name$=-field]").forEach(function (s) {
      s.addEventListener("change", function () { fitCondition(row); });
    });
    if (row.classList.contains("condition")) fitCondition(row);
    const action = row.querySelector("select[name$=-action]");
    if (action) { action.addEventListener("change", function () { fitStep(row); }); fitStep(row); }
    const list = row.parentElement;
    const remove = row.querySelector("[data-remove]");
    if (remove) remove.addEventListener("click", function () {
      const box = row.querySelector("input[name$=-DELETE]");
      if (box) box.checked = true;
      row.hidden = true;
      renumber(list);
      count();
    });
    const up = row.querySelector("[data-up]");
    if (up) up.addEventListener("click", function () {
      let before = row.previousElementSibling;
      while (before && before.hidden) before = before.previousElementSibling;
      if (before) { list.insertBefore(row, before); renumber(list); up.focus(); }
    });
    const down = row.querySelector("[data-down]");
    if (down) down.addEventListener("click", function () {
      let after = row.nextElementSibling;
      while (after && after.hidden) after = after.nextElementSibling;
      if (after) { list.insertBefore(after, row); renumber(list); down.focus(); }
    });
  }

  form.querySelectorAll("[data-rows]").forEach(function (list) {
    list.querySelectorAll("[data-row]").forEach(wire);
    list.querySelectorAll("[data-row]").forEach(function (row) {
      const box = row.querySelector("input[name$=-DELETE]");
      if (box && box.checked) row.hidden = true;
    });
    renumber(list);
  });

  form.querySelectorAll("[data-add]").forEach(function (button) {
    button.addEventListener("click", function () {
      const prefix = button.dataset.add;
      const total = form.querySelector("[name=" + prefix + "-TOTAL_FORMS]");
      const list = form.querySelector("[data-rows=" + prefix + "]");
      const html = document.getElementById(prefix + "-template").innerHTML.replace(/__prefix__/g, total.value);
      total.value = Number(total.value) + 1;
      list.insertAdjacentHTML("beforeend", html);
      const row = list.lastElementChild;
      wire(row);
      renumber(list);
      const first = row.querySelector("select, input:not([type=hidden])");
      if (first) first.focus();
      count();
    });
  });

  // The live count: the form is posted whole and counted on the server (the same checks as saving).
  const out = document.getElementById("audience-count");
  let timer = null, asked = 0;
  async function ask() {
    const mine = ++asked;
    let response, body;
    try {
      response = await fetch(form.dataset.countUrl, {method: "POST", body: new FormData(form),
                                                     headers: {"X-Requested-With": "fetch"}});
      body = await response.json();
    } catch (error) {
      if (mine === asked) { out.dataset.state = "error"; out.textContent = words.unreachable; }
      return;
    }
    if (mine !== asked) return;  // a newer edit is being counted
    out.dataset.state = response.ok ? "ok" : "error";
    out.dataset.count = response.ok ? body.count : "";
    out.textContent = response.ok ? body.text : body.error;
  }
  function count() { clearTimeout(timer); timer = setTimeout(ask, 350); }
  const audience = form.querySelector("[data-rows=audience]").closest("section");
  audience.addEventListener("input", count);
  audience.addEventListener("change", count);
  ask();
})();
