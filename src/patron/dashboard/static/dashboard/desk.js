// The ticket page: a canned reply fills the reply box (the agent edits it before sending).
"use strict";
(function () {
  const pick = document.getElementById("canned");
  if (!pick) return;
  const box = document.getElementById(pick.dataset.fills);
  pick.addEventListener("change", function () {
    const source = document.getElementById("canned-" + pick.value);
    if (source) { box.value = source.content.textContent; box.focus(); }
  });
})();
