// The message designer's live preview: the draft is rendered on the server as the chosen customer would get it.
"use strict";
(function () {
  const form = document.getElementById("message-form");
  if (!form) return;
  const state = document.getElementById("preview-state");
  const subject = document.getElementById("preview-subject");
  const sms = document.getElementById("preview-sms");
  const frames = [document.getElementById("preview-desktop"), document.getElementById("preview-phone")];
  const noSms = sms.dataset.none || "";
  const smsCount = document.getElementById("preview-sms-count");
  let timer = null, asked = 0;
  async function ask() {
    const mine = ++asked;
    let response, body;
    try {
      response = await fetch(form.dataset.previewUrl, {method: "POST", body: new FormData(form)});
      body = await response.json();
    } catch (error) {
      if (mine === asked) state.textContent = state.dataset.unreachable || "";
      return;
    }
    if (mine !== asked) return;
    if (!response.ok) { state.textContent = body.error; state.dataset.state = "error"; return; }
    state.textContent = ""; state.dataset.state = "ok";
    subject.textContent = "";
    const strong = document.createElement("strong");
    strong.textContent = body.subject;
    subject.appendChild(strong);
    sms.textContent = body.sms || noSms;
    smsCount.textContent = body.sms_count || "";
    frames.forEach(function (frame) { frame.srcdoc = body.html; });
  }
  // Desktop or phone: one frame at a time, as wide as that screen.
  const switcher = document.querySelector(".segmented");
  function show(which) {
    document.querySelectorAll("figure[data-frame]").forEach(function (f) { f.hidden = f.dataset.frame !== which; });
    switcher.querySelectorAll("button").forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.frame === which)); });
  }
  if (switcher) {
    switcher.hidden = false;
    switcher.querySelectorAll("button").forEach(function (b) { b.addEventListener("click", function () { show(b.dataset.frame); }); });
    show(window.matchMedia("(max-width: 640px)").matches ? "phone" : "desktop");
  }
  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(ask, 400); });
})();
