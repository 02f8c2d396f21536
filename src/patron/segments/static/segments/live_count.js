// The segment form's live count: the rules are counted on the server as they are typed.
"use strict";
(function () {
  const rules = document.getElementById("id_rules");
  const out = document.getElementById("segment-live-count");
  const token = document.querySelector("[name=csrfmiddlewaretoken]").value;
  const url = out && out.dataset.url;
  let timer = null, asked = 0;
  async function count() {
    const mine = ++asked;
    let response;
    try {
      response = await fetch(url, {method: "POST", body: rules.value, headers: {"X-CSRFToken": token}});
    } catch (error) {
      out.textContent = "Could not reach the server: " + error;
      return;
    }
    const body = await response.json();
    if (mine !== asked) return;  // a newer edit is already being counted
    out.dataset.state = response.ok ? "ok" : "error";
    out.textContent = response.ok ? body.count.toLocaleString() + " customers match now" : body.error;
  }
  if (rules && out) {
    rules.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(count, 400); });
    if (rules.value.trim()) count();
  }
})();
