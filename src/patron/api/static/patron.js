/* Patron's storefront script: what a signed-in customer does in the shop, for the abandoned-checkout and
   browse journeys. No dependencies. The shop's page, for a signed-in customer:
   <script src="https://PATRON/static/patron.js" defer data-key="pat_… (publishable: events:write)"
     data-customer="EXTERNAL ID" data-expires="UNIX TIME" data-signature="HEX HMAC-SHA256 of id:expires"></script>
   Then: an element with data-patron-viewed="SKU" on a product page; Patron.added(sku, quantity) when it goes
   into the cart; Patron.checkout(token, [{sku, quantity, price}], checkoutUrl, currency) at the checkout.
   Calls made before the script loads wait in window.Patron = [["added", "SKU", 1], ...]. */
(function () {
  "use strict";
  var me = document.currentScript, early = window.Patron;
  if (!me) return;
  var d = me.dataset, url = new URL("/api/v1/events", me.src).href;

  function send(kind, items, extra) {
    if (!d.key || !d.customer || !d.signature || !items.length) return false;
    var body = {key: d.key, customer: d.customer, expires: Number(d.expires), signature: d.signature, kind: kind,
                items: items};
    for (var name in extra) if (extra[name]) body[name] = extra[name];
    var data = JSON.stringify(body);
    // text/plain: a simple request, no preflight; the answer is not read.
    if (navigator.sendBeacon && navigator.sendBeacon(url, new Blob([data], {type: "text/plain"}))) return true;
    if (window.fetch) fetch(url, {method: "POST", body: data, mode: "no-cors", keepalive: true}).catch(function () {});
    return true;
  }

  function item(row) {
    var out = {sku: String(row.sku), quantity: Math.max(1, parseInt(row.quantity, 10) || 1)};
    if (row.price != null && row.price !== "") out.price = Number(row.price).toFixed(2);
    return out;
  }

  var api = {
    viewed: function (sku) { return send("product_viewed", [item({sku: sku})], {}); },
    added: function (sku, quantity) { return send("added_to_cart", [item({sku: sku, quantity: quantity})], {}); },
    checkout: function (token, items, checkoutUrl, currency) {
      return send("checkout_started", (items || []).map(item),
                  {checkout: String(token || ""), checkout_url: checkoutUrl || "", currency: currency || ""});
    }
  };
  window.Patron = api;
  if (Array.isArray(early)) early.forEach(function (call) {
    if (api[call[0]]) api[call[0]].apply(null, call.slice(1));
  });

  function scan() {
    var seen = document.querySelectorAll("[data-patron-viewed]");
    for (var i = 0; i < seen.length; i++) api.viewed(seen[i].getAttribute("data-patron-viewed"));
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scan); else scan();
})();
