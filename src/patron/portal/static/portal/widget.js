// Patron's widget for the shop's pages. The shop renders, for a signed-in customer:
//   <div data-patron-widget data-customer="EXTERNAL_ID" data-expires="UNIX_TIME" data-signature="HMAC_HEX"></div>
//   <script src="https://PATRON_HOST/static/portal/widget.js" async></script>
// and this script puts the customer's balance and tier in each such element, in an iframe served by Patron,
// with a link that opens their portal. Nothing is loaded from anywhere else.
(function () {
  var script = document.currentScript;
  var origin = new URL(script ? script.src : "/", window.location.href).origin;
  function mount(el) {
    if (el.dataset.patronMounted) return;
    el.dataset.patronMounted = "1";
    var query = new URLSearchParams({
      customer: el.dataset.customer || "", expires: el.dataset.expires || "", signature: el.dataset.signature || ""
    });
    var frame = document.createElement("iframe");
    frame.src = origin + "/portal/widget/?" + query.toString();
    frame.title = el.dataset.title || "Loyalty points";
    frame.loading = "lazy";
    frame.referrerPolicy = "no-referrer";
    frame.style.border = "0";
    frame.style.width = el.dataset.width || "100%";
    frame.style.height = el.dataset.height || "120px";
    el.appendChild(frame);
  }
  function all() { document.querySelectorAll("[data-patron-widget]").forEach(mount); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all); else all();
})();
