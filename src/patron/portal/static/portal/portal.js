// The portal works without this script; it adds copying codes, sharing, the language menu that applies
// itself, and a redeem button that cannot be pressed twice.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".js-hide").forEach((el) => { el.hidden = true; });
  // On a phone the tab bar scrolls sideways: bring the current tab into view, centred.
  const current = document.querySelector(".tabs [aria-current=page]");
  if (current) {
    const bar = current.closest(".tabs");
    bar.scrollLeft = current.offsetLeft - (bar.clientWidth - current.offsetWidth) / 2;
  }
  document.querySelectorAll("form[data-autosubmit] select").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
  document.querySelectorAll("form[data-once]").forEach((form) => {
    form.addEventListener("submit", () => {
      form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; });
    });
  });
  document.querySelectorAll("button[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy);
      const text = (source.getAttribute("href") || source.textContent).trim();
      try {
        await navigator.clipboard.writeText(text);
        const label = button.textContent;
        button.textContent = button.dataset.copied;
        setTimeout(() => { button.textContent = label; }, 2000);
      } catch (e) {
        window.getSelection().selectAllChildren(source);
      }
    });
  });
  if (navigator.share) {
    document.querySelectorAll("button[data-share]").forEach((button) => {
      button.hidden = false;
      button.addEventListener("click", () => {
        navigator.share({ text: button.dataset.shareText, url: button.dataset.share }).catch(() => {});
      });
    });
  }
});
