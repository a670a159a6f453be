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
    var text = document.createElement("div");
    text.className = "text";
    text.textContent = message.text || "";
    item.appendChild(meta);
    item.appendChild(text);
    list.appendChild(item);
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
