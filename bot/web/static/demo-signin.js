/*
 * The demo shop's "Sign in as" picker: stands in for a real shop's login.
 *
 * A real shop signs its logged-in shopper's identity token server-side and gives it to the
 * widget (data-identity or ShopbotWidget.signIn). The demo shop has no login, so this asks
 * the demo-only endpoints (bot/web/demo.py, on with SHOPBOT_DEMO=1) for the demo customers
 * and a token for the one picked. When they are off (404) nothing is shown.
 *
 * Needs widget.js loaded first and an element with id "demo-signin" on the page. Text is
 * set with textContent only; no inline script, so a strict CSP can apply.
 */
(function () {
  "use strict";

  var script = document.currentScript || document.querySelector("script[src*='demo-signin.js']");
  var data = (script && script.dataset) || {};
  var API = (data.apiUrl || window.location.origin).replace(/\/$/, "") + "/web/api/demo";
  var NAME_KEY = "shopbot.demo_name";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "className") node.className = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function loadName() {
    try { return window.sessionStorage.getItem(NAME_KEY); } catch (e) { return null; }
  }
  function saveName(name) {
    try {
      if (name === null) window.sessionStorage.removeItem(NAME_KEY);
      else window.sessionStorage.setItem(NAME_KEY, name);
    } catch (e) { /* private mode */ }
  }
  function widget() { return window.ShopbotWidget || null; }

  function start() {
    var box = document.getElementById("demo-signin");
    if (!box || !widget()) return;
    var customers = [];

    function render(message) {
      box.textContent = "";
      var identity = widget().identity();
      if (identity) {
        box.appendChild(el("span", { className: "demo-signin-who", role: "status" },
                           "Signed in as " + (loadName() || "a demo customer")));
        var signOut = el("button", { type: "button", className: "demo-signin-button" }, "Sign out");
        signOut.addEventListener("click", function () {
          saveName(null);
          widget().signOut();
          render();
        });
        box.appendChild(signOut);
      } else {
        var label = el("label", { "for": "demo-signin-customer", className: "demo-signin-label" }, "Sign in as");
        var select = el("select", { id: "demo-signin-customer", className: "demo-signin-select" });
        customers.forEach(function (c) {
          select.appendChild(el("option", { value: c.email }, c.name + " (" + c.email + ")"));
        });
        var signIn = el("button", { type: "button", className: "demo-signin-button" }, "Sign in");
        signIn.addEventListener("click", function () {
          signIn.disabled = true;
          fetch(API + "/sign-in", { method: "POST", headers: { "Content-Type": "application/json" },
                                    body: JSON.stringify({ email: select.value }) })
            .then(function (r) { return r.ok ? r.json() : null; })
            .then(function (body) {
              if (body && typeof body.identity === "string" && widget().signIn(body.identity)) {
                saveName(typeof body.name === "string" ? body.name : null);
                render();
              } else {
                render("Signing in did not work; please try again.");
              }
            })
            .catch(function () { render("Signing in did not work; please try again."); });
        });
        box.appendChild(label);
        box.appendChild(select);
        box.appendChild(signIn);
      }
      if (message) box.appendChild(el("span", { className: "demo-signin-error", role: "alert" }, message));
      box.hidden = false;
    }

    // the widget drops a token that expired: show the picker again
    window.addEventListener("shopbot:identity", function () {
      if (!widget().identity()) saveName(null);
      if (customers.length) render();
    });

    fetch(API + "/customers", { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body || !Array.isArray(body.customers) || !body.customers.length) return;  // demo off
        customers = body.customers.filter(function (c) {
          return c && typeof c.email === "string" && typeof c.name === "string";
        });
        render();
      })
      .catch(function () {});
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
