// Staff console: poll the open conversation for new messages. Text only (textContent),
// never HTML, so nothing a shopper types can run here.
(function () {
  "use strict";
  var list = document.getElementById("transcript");
  if (!list) { return; }
  var url = list.getAttribute("data-poll");
  var after = parseInt(list.getAttribute("data-after") || "0", 10);
  var state = document.getElementById("paused-state");

  function add(message) {
    var item = document.createElement("li");
    item.className = "turn " + message.kind;
    var meta = document.createElement("div");
    meta.className = "meta";
    var who = message.kind === "user" ? "shopper · intent " + (message.intent || "?")
      : message.kind === "agent" ? "agent " + (message.agent || "")
      : "bot · " + (message.action || "?") + " · " + (message.source || "");
    meta.textContent = message.time + " · " + who;
    if (message.reply_badge) {  // how the reply was served: generated, template, fallback (why)
      var badge = node("span", "reply-path reply-" + String((message.reply || {}).path || "").replace(/[^a-z]/g, ""),
                       message.reply_badge);
      if (message.reply && message.reply.violations && message.reply.violations.length) {
        badge.title = message.reply.violations.join("; ");
      }
      meta.appendChild(document.createTextNode(" "));
      meta.appendChild(badge);
    }
    var text = document.createElement("div");
    text.className = "text";
    text.textContent = message.text || "";
    item.appendChild(meta);
    if (message.profile) { item.appendChild(profile(message.profile)); }
    item.appendChild(text);
    if (message.recommendations && message.recommendations.length) {
      item.appendChild(recommendations(message.recommendations));
    }
    list.appendChild(item);
  }

  function node(tag, className, text) {
    var element = document.createElement(tag);
    if (className) { element.className = className; }
    if (text !== undefined) { element.textContent = text; }
    return element;
  }

  // the "Profile used" panel of a turn (as the page's template draws it)
  function profile(p) {
    var box = node("div", "profile-used " + (p.personalized ? "personalized" : "generic"));
    box.appendChild(node("b", "", "Profile used"));
    box.appendChild(document.createTextNode(" · " + (p.why || "")));
    var facts = node("dl");
    var rows = [["categories", (p.top_categories || []).join(", ")], ["brands", (p.top_brands || []).join(", ")],
                ["price band", p.price_band || ""], ["owned", String(p.owned || 0)],
                ["preferences", (p.preferences || []).join("; ")]];
    rows.forEach(function (row) {
      if (!row[1]) { return; }
      facts.appendChild(node("dt", "", row[0]));
      facts.appendChild(node("dd", "", row[1]));
    });
    box.appendChild(facts);
    return box;
  }

  // a recommendation reply's products, each with its source and reason
  function recommendations(items) {
    var listed = node("ol", "recommendations");
    items.forEach(function (r) {
      var entry = node("li");
      entry.appendChild(node("span", "source source-" + String(r.source || "unknown").replace(/[^a-z_]/g, ""),
                             r.source_label || r.source || ""));
      entry.appendChild(document.createTextNode(" "));
      entry.appendChild(node("b", "", r.name || r.product_id || ""));
      if (r.reason) { entry.appendChild(node("div", "reason", r.reason)); }
      listed.appendChild(entry);
    });
    return listed;
  }

  function poll() {
    fetch(url + "?after=" + after, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        data.messages.forEach(function (m) { add(m); after = Math.max(after, m.event_id); });
        if (state) { state.textContent = data.paused ? "paused (agent in charge)" : "bot in charge"; }
      })
      .catch(function () {})
      .then(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 3000);
})();
