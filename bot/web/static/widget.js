/*
 * shopbot chat widget: a floating launcher and a chat panel for the Rasa socket.io channel.
 *
 * Vanilla JS, no build step. Needs the socket.io client (vendor/socket.io.min.js) loaded first.
 * Embed:
 *   <link rel="stylesheet" href="/web/static/widget.css">
 *   <script src="/web/static/vendor/socket.io.min.js"></script>
 *   <script src="/web/static/widget.js" data-socket-url="https://bot.example.com"
 *           data-socket-path="/socket.io" data-title="Shop assistant"></script>
 *
 * Signed-in shoppers: the shop's site mints a signed identity token for its logged-in
 * shopper server-side (see the README, "Signed shopper identity") and hands it to the widget
 * with data-identity="<token>" on this script tag or ShopbotWidget.signIn(token);
 * ShopbotWidget.signOut() drops it. The widget keeps it in sessionStorage (gone with the
 * tab) and sends it as customData.identity with every session_request and message; the
 * server verifies it, and a bad or expired token only means an anonymous shopper. It also
 * goes with the consent calls (X-Identity-Token), so the Personalize switch of a signed-in
 * shopper is their account's own choice, the one the chat changes too ("stop personalizing").
 *
 * The shopper's rights: a bot message with a custom {type: "download", path, label} payload
 * gets a download link (their data export; the link's token expires within minutes and is
 * masked in the stored conversation); {type: "consent", personalization} sets the switch.
 * A signed-in shopper also gets an "Offers" switch (their marketing choice, opt-in, POST
 * /web/api/consent {marketing}); a campaign card (product_cards with "campaign") carries a
 * "No more offers" button that posts its signed opt_out path.
 *
 * Safety: every piece of text (the shopper's, the bot's, a product's) is rendered with
 * textContent or as an attribute value, never parsed as HTML; links and images only
 * accept http(s) and same-origin addresses.
 */
(function () {
  "use strict";

  var script = document.currentScript || document.querySelector("script[src*='widget.js']");
  var data = (script && script.dataset) || {};
  var SOCKET_URL = data.socketUrl || window.location.origin;
  var SOCKET_PATH = data.socketPath || "/socket.io";
  var API = (data.apiUrl || SOCKET_URL).replace(/\/$/, "") + "/web/api";
  var TITLE = data.title || "Shop assistant";
  var KEY = "shopbot.";
  var HANDOFF = { payload: "/human_handoff", title: "Talk to a person" };
  var TYPING_TIMEOUT_MS = 30000;

  // -- storage and ids --------------------------------------------------------------
  function load(name) {
    try { return window.localStorage.getItem(KEY + name); } catch (e) { return null; }
  }
  function save(name, value) {
    try { window.localStorage.setItem(KEY + name, value); } catch (e) { /* private mode */ }
  }
  // Tokens are issued by the server (the session token in socket.io's session_confirm, the
  // shopper token by POST /web/api/shopper) and presented back; the widget never makes ids.
  function validToken(token) { return typeof token === "string" && /^[A-Za-z0-9_.-]{16,200}$/.test(token); }
  var CLIENT = { name: "shopbot-widget", version: 2 };

  var sessionToken = load("session_token");
  if (!validToken(sessionToken)) sessionToken = null;
  var shopperToken = load("shopper_token");
  if (!validToken(shopperToken)) shopperToken = null;
  var consent = load("personalization") === "true";

  // The signed-in shopper's identity token (a JWT the shop signed): for this tab only.
  var IDENTITY_MAX_CHARS = 2048;
  function sessionLoad(name) {
    try { return window.sessionStorage.getItem(KEY + name); } catch (e) { return null; }
  }
  function sessionSave(name, value) {
    try {
      if (value === null) window.sessionStorage.removeItem(KEY + name);
      else window.sessionStorage.setItem(KEY + name, value);
    } catch (e) { /* private mode */ }
  }
  function identityClaims(token) {  // read, never trusted: only the server checks the signature
    try {
      var part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      var claims = JSON.parse(window.atob(part + "===".slice((part.length + 3) % 4)));
      return claims && typeof claims === "object" ? claims : {};
    } catch (e) { return {}; }
  }
  function identityExpiry(token) {
    var exp = identityClaims(token).exp;
    return typeof exp === "number" ? exp : null;
  }
  // whose token it is: a fresh token for the same shopper (minted on every page) is no new shopper
  function identitySubject(token) { return token ? String(identityClaims(token).sub) : null; }
  function validIdentity(token) {
    if (typeof token !== "string" || token.length > IDENTITY_MAX_CHARS ||
        !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) return false;
    var exp = identityExpiry(token);
    return exp === null || exp * 1000 > Date.now();  // the server decides; an expired one is not worth sending
  }
  var identityToken = sessionLoad("identity");
  if (data.identity && validIdentity(data.identity)) {
    // the page says who is signed in now; another shopper than before gets a conversation of their own
    if (identityToken && identitySubject(identityToken) !== identitySubject(data.identity)) {
      sessionToken = null;
      save("session_token", "");
    }
    identityToken = data.identity;
  }
  if (!validIdentity(identityToken)) identityToken = null;
  sessionSave("identity", identityToken);

  // -- DOM helpers ------------------------------------------------------------------
  var uid = 0;
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        if (name === "className") node.className = attrs[name];
        else node.setAttribute(name, attrs[name]);
      });
    }
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function safeUrl(value) {
    if (typeof value !== "string" || !value) return null;
    try {
      var url = new URL(value, window.location.href);
      return (url.protocol === "http:" || url.protocol === "https:") ? url.href : null;
    } catch (e) { return null; }
  }
  function srOnly(text) { return el("span", { className: "sb-sr-only" }, text); }

  // icons as inline SVG (constant paths, no data): emoji fonts are missing on many systems
  var SVG_NS = "http://www.w3.org/2000/svg";
  var ICONS = {
    thumb: "M2 10h4v11H2zM22 11c0-1.1-.9-2-2-2h-6.3l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L13.17 2 6.59 8.59C6.22 8.95 6 9.45 6 10v9c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z",
    chat: "M20 2H4c-1.1 0-2 .9-2 2v18l4-4h14c1.1 0 2-.9 2-2V4c0-1.1-.9-2-2-2z",
  };
  function icon(name, flip) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "18");
    svg.setAttribute("height", "18");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", ICONS[name]);
    path.setAttribute("fill", "currentColor");
    if (flip) path.setAttribute("transform", "rotate(180 12 12)");
    svg.appendChild(path);
    return svg;
  }

  // -- the widget's DOM ---------------------------------------------------------------
  var root = el("div", { className: "sb-root" });
  var launcher = el("button", { type: "button", className: "sb-launcher", "aria-expanded": "false",
                                "aria-controls": "sb-panel", "aria-label": "Open chat with the " + TITLE.toLowerCase() });
  launcher.appendChild(icon("chat"));
  launcher.appendChild(el("span", { className: "sb-launcher-text" }, "Chat"));

  var panel = el("section", { id: "sb-panel", className: "sb-panel", role: "dialog", "aria-modal": "false",
                              "aria-labelledby": "sb-title" });
  panel.hidden = true;

  var header = el("header", { className: "sb-header" });
  header.appendChild(el("h2", { id: "sb-title", className: "sb-title" }, TITLE));
  var connection = el("span", { className: "sb-connection", role: "status" }, "Connecting…");
  header.appendChild(connection);
  var closeButton = el("button", { type: "button", className: "sb-icon-button sb-close", "aria-label": "Close chat" }, "×");
  header.appendChild(closeButton);

  var toolbar = el("div", { className: "sb-toolbar", role: "toolbar", "aria-label": "Conversation options" });
  var handoffButton = el("button", { type: "button", className: "sb-tool sb-handoff" }, "Talk to a person");
  var clearButton = el("button", { type: "button", className: "sb-tool sb-clear" }, "Clear conversation");
  var consentLabel = el("label", { className: "sb-consent" });
  var consentSwitch = el("input", { type: "checkbox", role: "switch", className: "sb-consent-switch",
                                    "aria-describedby": "sb-consent-help" });
  consentSwitch.checked = consent;
  consentSwitch.setAttribute("aria-checked", String(consent));
  consentLabel.appendChild(consentSwitch);
  consentLabel.appendChild(el("span", null, "Personalize"));
  var consentHelp = el("span", { id: "sb-consent-help", className: "sb-sr-only" },
                       "Allow the assistant to remember your preferences to personalize recommendations.");
  // Offers: a signed-in customer's marketing choice (opt-in), apart from personalization;
  // shown only once the server has said whose it is (anonymous shoppers get no offers)
  var offersLabel = el("label", { className: "sb-consent sb-offers" });
  var offersSwitch = el("input", { type: "checkbox", role: "switch", className: "sb-offers-switch",
                                   "aria-describedby": "sb-offers-help" });
  offersLabel.appendChild(offersSwitch);
  offersLabel.appendChild(el("span", null, "Offers"));
  offersLabel.hidden = true;
  var offersHelp = el("span", { id: "sb-offers-help", className: "sb-sr-only" },
                      "Allow the shop to show you offers in the chat and send them by e-mail.");
  toolbar.appendChild(handoffButton);
  toolbar.appendChild(clearButton);
  toolbar.appendChild(consentLabel);
  toolbar.appendChild(consentHelp);
  toolbar.appendChild(offersLabel);
  toolbar.appendChild(offersHelp);

  var log = el("div", { className: "sb-log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
                        "aria-label": "Conversation", tabindex: "0" });
  var typing = el("div", { className: "sb-typing", role: "status", "aria-live": "polite" });
  typing.hidden = true;
  typing.appendChild(el("span", { className: "sb-dots", "aria-hidden": "true" }, "• • •"));
  typing.appendChild(srOnly("The assistant is typing"));

  var form = el("form", { className: "sb-form", autocomplete: "off" });
  var inputLabel = el("label", { "for": "sb-input", className: "sb-sr-only" }, "Your message");
  var input = el("input", { id: "sb-input", className: "sb-input", type: "text", maxlength: "2000",
                            placeholder: "Type your message…", enterkeyhint: "send" });
  var sendButton = el("button", { type: "submit", className: "sb-send" }, "Send");
  form.appendChild(inputLabel);
  form.appendChild(input);
  form.appendChild(sendButton);

  panel.appendChild(header);
  panel.appendChild(toolbar);
  panel.appendChild(log);
  panel.appendChild(typing);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(launcher);

  // -- rendering ----------------------------------------------------------------------
  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function renderButtons(buttons) {
    var group = el("div", { className: "sb-quick-replies", role: "group", "aria-label": "Suggested replies" });
    buttons.forEach(function (b) {
      if (!b || typeof b.payload !== "string") return;
      var title = b.title || b.payload;
      var button = el("button", { type: "button", className: "sb-quick-reply" }, title);
      button.addEventListener("click", function () { sendMessage(b.payload, title); input.focus(); });
      group.appendChild(button);
    });
    return group;
  }

  // the recommender's sources a click may report (the server accepts these only)
  var REC_SOURCES = ["graph", "co_purchase", "embedding", "learned", "popular"];
  function recSource(value) { return REC_SOURCES.indexOf(value) >= 0 ? value : null; }

  /* Product cards; a recommendation's card ({source, reason} on the card or in the payload's
     recommendations list) shows its reason and reports its source when clicked. */
  function renderCards(products, recommendations) {
    var byId = {};
    (Array.isArray(recommendations) ? recommendations : []).forEach(function (r) {
      if (r && typeof r === "object" && r.product_id !== undefined) byId[String(r.product_id)] = r;
    });
    var list = el("ul", { className: "sb-cards", "aria-label": "Products" });
    products.forEach(function (p) {
      if (!p || typeof p !== "object") return;
      var rec = byId[String(p.id)] || {};
      var source = recSource(p.source) || recSource(rec.source);
      var reason = typeof p.reason === "string" && p.reason ? p.reason : (typeof rec.reason === "string" ? rec.reason : "");
      var card = el("li", { className: source ? "sb-card sb-recommended" : "sb-card" });
      var image = safeUrl(p.image);
      if (image) {
        var img = el("img", { className: "sb-card-image", src: image, alt: String(p.name || "Product"), loading: "lazy" });
        img.addEventListener("error", function () { img.classList.add("sb-broken"); });
        card.appendChild(img);
      }
      var name = el("h3", { className: "sb-card-name" });
      var url = safeUrl(p.url);
      if (url) {
        var link = el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, p.name || "Product");
        if (p.id) {
          link.addEventListener("click", function () {
            var click = { product_id: String(p.id) };
            if (source) click.source = source;
            postJson("POST", API + "/click", click, sessionHeaders());
          });
        }
        name.appendChild(link);
      } else {
        name.textContent = String(p.name || "Product");
      }
      card.appendChild(name);
      if (reason) card.appendChild(el("p", { className: "sb-card-reason" }, reason));
      var facts = el("p", { className: "sb-card-facts" });
      if (p.price_text) facts.appendChild(el("span", { className: "sb-card-price" }, p.price_text));
      if (p.rating !== undefined && p.rating !== null) {
        var rating = el("span", { className: "sb-card-rating" });
        rating.appendChild(el("span", { "aria-hidden": "true" }, "★ " + p.rating));
        rating.appendChild(srOnly("rated " + p.rating + " of 5"));
        facts.appendChild(rating);
      }
      if (p.stock_text) facts.appendChild(el("span", { className: "sb-card-stock" }, p.stock_text));
      card.appendChild(facts);
      list.appendChild(card);
    });
    return list;
  }

  function renderComparison(custom) {
    var wrap = el("div", { className: "sb-table-wrap", tabindex: "0", role: "region", "aria-label": "Comparison" });
    var table = el("table", { className: "sb-comparison" });
    table.appendChild(el("caption", { className: "sb-sr-only" }, "Product comparison, differences first"));
    var products = Array.isArray(custom.products) ? custom.products : [];
    var head = el("tr");
    head.appendChild(el("th", { scope: "col" }, "Feature"));
    products.forEach(function (p) { head.appendChild(el("th", { scope: "col" }, (p && p.name) || "")); });
    var thead = el("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    var tbody = el("tbody");
    custom.comparison.forEach(function (row) {
      if (!row) return;
      var tr = el("tr", row.differs ? { className: "sb-differs" } : null);
      tr.appendChild(el("th", { scope: "row" }, row.label || ""));
      (Array.isArray(row.values) ? row.values : []).forEach(function (v) { tr.appendChild(el("td", null, v)); });
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    wrap.appendChild(table);
    return wrap;
  }

  function renderFeedback(message) {
    var group = el("div", { className: "sb-feedback", role: "group", "aria-label": "Was this helpful?" });
    var buttons = {};
    [["up", "Helpful"], ["down", "Not helpful"]].forEach(function (spec) {
      var button = el("button", { type: "button", className: "sb-thumb sb-thumb-" + spec[0], "aria-label": spec[1],
                                  "aria-pressed": String(message.feedback === spec[0]), title: spec[1] });
      button.appendChild(icon("thumb", spec[0] === "down"));
      button.addEventListener("click", function () {
        postJson("POST", API + "/feedback", { turn: message.timestamp, value: spec[0] }, sessionHeaders())
          .then(function (ok) {
            if (!ok) return;
            Object.keys(buttons).forEach(function (v) { buttons[v].setAttribute("aria-pressed", String(v === spec[0])); });
          });
      });
      buttons[spec[0]] = button;
      group.appendChild(button);
    });
    return group;
  }

  // The privacy export: a link on the assistant's own server, resolved against the API's origin
  // (the page may be the shop's own site). A masked token (a stored, expired link) gets no link.
  var EXPORT_PATH = "/web/api/privacy/export?token=";
  function downloadUrl(custom) {
    var path = typeof custom.path === "string" ? custom.path : "";
    if (path.indexOf(EXPORT_PATH) !== 0 || !/^[A-Za-z0-9_.-]+$/.test(path.slice(EXPORT_PATH.length))) return null;
    return safeUrl(API.replace(/\/web\/api$/, "") + path);
  }
  function renderDownload(custom) {
    var url = downloadUrl(custom);
    if (!url) return el("p", { className: "sb-download sb-expired" }, "This download link has expired.");
    var link = el("a", { className: "sb-download", href: url, rel: "noopener noreferrer",
                         download: String(custom.filename || "my-data.json") }, custom.label || "Download");
    return link;
  }

  /* A campaign card's "No more offers": posts the card's signed token (only our own path). */
  var OPT_OUT_PATH = "/web/api/campaign/opt-out?t=";
  function renderOptOut(optOut) {
    var path = typeof optOut.path === "string" ? optOut.path : "";
    if (path.indexOf(OPT_OUT_PATH) !== 0 || !/^[A-Za-z0-9_.%-]+$/.test(path.slice(OPT_OUT_PATH.length))) return null;
    var wrap = el("p", { className: "sb-opt-out" });
    var button = el("button", { type: "button", className: "sb-opt-out-button" },
                    typeof optOut.label === "string" && optOut.label ? optOut.label : "No more offers");
    button.addEventListener("click", function () {
      button.disabled = true;
      postJson("POST", API.replace(/\/web\/api$/, "") + path, null, {}).then(function (ok) {
        wrap.textContent = ok ? "Done: no more offers. You can switch them back on with the Offers switch."
                              : "Sorry, that didn't work. Please try again later.";
        if (ok) setOffers(false);
        else button.disabled = false;
      });
    });
    wrap.appendChild(button);
    return wrap;
  }

  /* One message: {from: user|bot|agent, text, buttons|quick_replies, custom, image|attachment, timestamp, agent}.
     live: it just arrived (not from the history), so a consent change in it applies now. */
  function renderMessage(message, live) {
    var from = message.from === "user" ? "user" : (message.from === "agent" ? "agent" : "bot");
    var item = el("div", { className: "sb-msg sb-" + from });
    var who = from === "user" ? "You" : (from === "agent" ? "Agent " + (message.agent || "") : "Assistant");
    if (from === "agent") item.appendChild(el("span", { className: "sb-agent-label" }, who.trim()));
    else item.appendChild(srOnly(who + ":"));
    var custom = message.custom;
    var text = message.text;
    if (custom && typeof custom === "object" && custom.type === "download" && typeof text === "string") {
      // the link is the button below; the text version (for other clients) need not show it twice
      text = text.replace(/\s*:?\s*\S*\/web\/api\/privacy\/export\?token=\S*/, ".").replace(/\.\.$/, ".");
    }
    if (text) item.appendChild(el("p", { className: "sb-text" }, text));

    var image = message.image;
    var attachment = message.attachment;
    if (!image && attachment && typeof attachment === "object" && attachment.payload && attachment.type === "image") {
      image = attachment.payload.src;
    }
    var imageUrl = safeUrl(image);
    if (imageUrl) item.appendChild(el("img", { className: "sb-image", src: imageUrl, alt: "Image from the assistant" }));

    if (custom && typeof custom === "object") {
      if (Array.isArray(custom.comparison) && custom.comparison.length) item.appendChild(renderComparison(custom));
      else if ((custom.type === "product_cards" || Array.isArray(custom.recommendations)) && Array.isArray(custom.products)) {
        item.appendChild(renderCards(custom.products, custom.recommendations));
        if (custom.campaign && custom.opt_out && typeof custom.opt_out === "object") {
          var stop = renderOptOut(custom.opt_out);
          if (stop) item.appendChild(stop);
        }
      }
      else if (custom.type === "download") item.appendChild(renderDownload(custom));
      else if (custom.type === "consent" && live && typeof custom.personalization === "boolean") {
        setConsent(custom.personalization);
      }
      else if (custom.type === "consent" && live && typeof custom.marketing === "boolean") {
        setOffers(custom.marketing);
      }
    }
    var buttons = message.buttons || message.quick_replies;
    if (Array.isArray(buttons) && buttons.length) item.appendChild(renderButtons(buttons));
    if (from !== "user" && typeof message.timestamp === "number") item.appendChild(renderFeedback(message));
    if (!item.querySelector(".sb-text, img, .sb-cards, .sb-table-wrap, .sb-quick-replies, .sb-download") &&
        from !== "agent") return;
    log.appendChild(item);
    scrollDown();
  }

  // -- typing indicator -----------------------------------------------------------------
  var typingTimer = null;
  function showTyping() {
    typing.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, TYPING_TIMEOUT_MS);
  }
  function hideTyping() { typing.hidden = true; clearTimeout(typingTimer); }

  // -- HTTP -----------------------------------------------------------------------------
  function sessionHeaders() { return sessionToken ? { "X-Session-Token": sessionToken } : {}; }
  function shopperHeaders() { return shopperToken ? { "X-Shopper-Token": shopperToken } : {}; }
  function consentHeaders() {
    var headers = shopperHeaders();
    var identity = currentIdentity();
    if (identity) headers["X-Identity-Token"] = identity;
    return headers;
  }

  function postJson(method, url, body, headers) {
    var all = { "Content-Type": "application/json" };
    Object.keys(headers || {}).forEach(function (name) { all[name] = headers[name]; });
    return fetch(url, { method: method, headers: all, body: body ? JSON.stringify(body) : undefined })
      .then(function (r) { return r.ok; })
      .catch(function () { return false; });
  }

  function loadHistory() {
    if (!sessionToken) { log.textContent = ""; greet(); return Promise.resolve(); }
    return fetch(API + "/history", { headers: sessionHeaders() })
      .then(function (r) { return r.ok ? r.json() : { messages: [] }; })
      .then(function (body) {
        log.textContent = "";
        (body.messages || []).forEach(function (message) { renderMessage(message, false); });
        if (!(body.messages || []).length) greet();
      })
      .catch(function () { greet(); });
  }

  function greet() {
    var hint = el("p", { className: "sb-hint" },
                  "Hi! Ask me about products, your order, returns or shipping. You can talk to a person at any time.");
    log.appendChild(hint);
  }

  function ensureShopper() {
    if (shopperToken) return Promise.resolve(shopperToken);
    return fetch(API + "/shopper", { method: "POST" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (body && validToken(body.shopper_token)) {
          shopperToken = body.shopper_token;
          save("shopper_token", shopperToken);
        }
        return shopperToken;
      })
      .catch(function () { return null; });
  }

  function loadConsent() {
    if (!currentIdentity()) offersLabel.hidden = true;
    if (!shopperToken && !currentIdentity()) return;
    fetch(API + "/consent", { headers: consentHeaders() })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        // a signed-in shopper's choice (or the shop's default) always counts; an anonymous one once made
        offersLabel.hidden = !(body && body.scope === "customer" && typeof body.marketing === "boolean");
        if (body && !offersLabel.hidden) setOffers(body.marketing);
        if (!body || (body.scope !== "customer" && body.updated_at === null)) return;
        setConsent(Boolean(body.personalization));
      })
      .catch(function () {});
  }

  function setConsent(value) {
    consent = value;
    consentSwitch.checked = value;
    consentSwitch.setAttribute("aria-checked", String(value));
    save("personalization", String(value));
  }

  function setOffers(value) {
    offersSwitch.checked = Boolean(value);
    offersSwitch.setAttribute("aria-checked", String(Boolean(value)));
  }

  // -- signed-in shopper ------------------------------------------------------------------
  function currentIdentity() {
    if (identityToken && !validIdentity(identityToken)) setIdentity(null, true);  // expired meanwhile
    return identityToken;
  }
  function customData() {
    var custom = { shopper_id: shopperToken, personalization: consent };
    var identity = currentIdentity();
    if (identity) custom.identity = identity;
    return custom;
  }
  function newConversation() {
    sessionToken = null;
    save("session_token", "");
    log.textContent = "";
    hideTyping();
    greet();
    if (socket && socket.connected) socket.emit("session_request", { session_id: null, client: CLIENT, customData: customData() });
  }
  /* Another shopper, or none: the conversation so far is not theirs, so a fresh one starts
     (the old one stays stored under its own session). Signing in from anonymous keeps it,
     and so does a token that merely expired (the shopper is anonymous from then on). */
  function setIdentity(token, keepConversation) {
    var previous = identityToken;
    identityToken = token;
    sessionSave("identity", token);
    var changed = identitySubject(previous) !== identitySubject(token);
    if (previous && changed && !keepConversation) newConversation();
    if (changed) loadConsent();  // the switch shows whose choice it is now
    if (changed) {
      try {
        window.dispatchEvent(new CustomEvent("shopbot:identity", { detail: { signedIn: Boolean(token) } }));
      } catch (e) { /* very old browsers */ }
    }
  }

  // -- socket.io ----------------------------------------------------------------------
  var socket = null;
  function connect() {
    if (typeof window.io !== "function") {
      connection.textContent = "Chat unavailable";
      return;
    }
    socket = window.io(SOCKET_URL, { path: SOCKET_PATH, transports: ["websocket", "polling"] });
    socket.on("connect", function () {
      connection.textContent = "";
      socket.emit("session_request", { session_id: sessionToken, client: CLIENT, customData: customData() });
    });
    socket.on("session_confirm", function (confirmed) {
      var token = confirmed && confirmed.session_id ? confirmed.session_id : confirmed;
      if (!validToken(token) || token === sessionToken) return;
      var replaced = sessionToken !== null;
      sessionToken = token;
      save("session_token", sessionToken);
      if (replaced) { log.textContent = ""; greet(); }  // the old session was not accepted
    });
    socket.on("disconnect", function () { connection.textContent = "Reconnecting…"; });
    socket.on("connect_error", function () { connection.textContent = "Offline, retrying…"; });
    socket.on("bot_uttered", function (message) {
      hideTyping();
      if (message && typeof message === "object") renderMessage(message, true);
    });
  }

  function sendMessage(text, shown) {
    text = (text || "").trim();
    if (!text) return;
    renderMessage({ from: "user", text: shown || text });
    if (!socket || !socket.connected) {
      renderMessage({ from: "bot", text: "I'm offline right now — your message will be sent when I reconnect." });
    }
    if (socket) {
      socket.emit("user_uttered", { message: text, session_id: sessionToken, customData: customData() });
    }
    showTyping();
  }

  // -- controls -----------------------------------------------------------------------
  function openPanel() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    root.classList.add("sb-open");
    save("open", "true");
    scrollDown();
    input.focus();
  }
  function closePanel() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    root.classList.remove("sb-open");
    save("open", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", function () { if (panel.hidden) openPanel(); else closePanel(); });
  closeButton.addEventListener("click", closePanel);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); closePanel(); }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    input.value = "";
    sendMessage(text);
    input.focus();
  });
  handoffButton.addEventListener("click", function () { sendMessage(HANDOFF.payload, HANDOFF.title); input.focus(); });
  clearButton.addEventListener("click", function () {
    postJson("DELETE", API + "/history", null, sessionHeaders()).then(function () {
      newConversation();
      input.focus();
    });
  });
  consentSwitch.addEventListener("change", function () {
    var value = consentSwitch.checked;
    setConsent(value);
    ensureShopper().then(function () {
      postJson("POST", API + "/consent", { personalization: value }, consentHeaders());
    });
  });

  offersSwitch.addEventListener("change", function () {
    var value = offersSwitch.checked;
    setOffers(value);
    if (!currentIdentity()) { offersLabel.hidden = true; return; }
    postJson("POST", API + "/consent", { marketing: value }, consentHeaders()).then(function (ok) {
      if (!ok) setOffers(!value);  // the server did not take it: show what holds
    });
  });

  function start() {
    document.body.appendChild(root);
    if (load("open") === "true") openPanel();
    ensureShopper().then(loadConsent);
    loadHistory().then(connect);
  }

  window.ShopbotWidget = {
    open: openPanel,
    close: closePanel,
    send: function (text) { sendMessage(text); },
    sessionToken: function () { return sessionToken; },
    shopperToken: function () { return shopperToken; },
    /* The signed-in shopper: a token the shop signed (returns whether it was taken). */
    signIn: function (token) {
      if (!validIdentity(token)) return false;
      setIdentity(token);
      return true;
    },
    signOut: function () { setIdentity(null); },
    identity: function () { return currentIdentity(); },
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
