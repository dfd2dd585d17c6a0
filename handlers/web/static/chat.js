/* 质量奖助手 web chat: the same dialogue as Telegram and `qabot chat`, a third face.
   Plain JavaScript, no build step. Bot texts arrive as a tiny escaped HTML subset; they are
   rebuilt here node by node (only b/i/u/s/code/pre/blockquote, text via textContent), never
   assigned with innerHTML. The session token lives in sessionStorage (works inside an iframe
   without third-party cookies) and goes in the X-Session-Token header. */
(function () {
  "use strict";

  var T = {
    wait: "正在查找……",
    network: "网络连接失败，请检查网络后重试。",
    expired: "会话已过期，已为您重新开始。",
    report: "📄 查看预审单（可打印）",
    hot: "大家常问：",
    typeHint: "请在下方输入框中填写，然后按“发送”",
    modes: {
      article: ["/article", "查条文：请输入条文编号，如 15 或 第十五条"],
      search: ["/search", "关键词搜索：请输入关键词，如 公示"],
      verify: ["/verify", "查获奖单位：请输入单位或个人名称"],
      usage: ["/usage", "荣誉用法检查：请粘贴宣传文字"]
    },
    placeholder: "请输入问题，例如：公示期几天",
    reportAnswers: "您的回答",
    reportDocs: "尚待核实的条件及可用的证明材料",
    reportSteps: "申报流程",
    reportPriority: "（优先条件）",
    reportKind: "申报类别：",
    reportDate: "自查日期：",
    reportBasis: "依据：",
    reportMaterial: "可用材料："
  };
  var ALLOWED = { B: 1, STRONG: 1, I: 1, EM: 1, U: 1, S: 1, CODE: 1, PRE: 1, BLOCKQUOTE: 1 };
  var CITE = /^第([一二三四五六七八九十百零〇两]+)条/;
  var params = new URLSearchParams(location.search);
  var embedded = params.get("embed") === "1";

  // -- storage that never throws (blocked storage in some iframes: keep it in memory) --------
  function store(kind) {
    var mem = {};
    try {
      var s = window[kind]; var k = "__qabot_probe"; s.setItem(k, "1"); s.removeItem(k);
      return s;
    } catch (e) {
      return { getItem: function (k) { return k in mem ? mem[k] : null; },
               setItem: function (k, v) { mem[k] = String(v); },
               removeItem: function (k) { delete mem[k]; } };
    }
  }
  var session = store("sessionStorage");
  var prefs = store("localStorage");

  var $ = function (id) { return document.getElementById(id); };
  var log, input, form, sendBtn, modeBox, modeLabel;
  var token = session.getItem("qabot-token");
  var history = [];
  var busy = false;
  var mode = null;
  var lastBot = null;

  try { history = JSON.parse(session.getItem("qabot-history") || "[]"); } catch (e) { history = []; }

  function save() {
    if (history.length > 80) history = history.slice(-80);
    try { session.setItem("qabot-history", JSON.stringify(history)); } catch (e) { /* full */ }
  }

  // -- numerals: 第十五条 -> 15 ----------------------------------------------------------------
  function cnToInt(s) {
    var d = { "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9 };
    var total = 0, cur = 0;
    for (var i = 0; i < s.length; i++) {
      var c = s[i];
      if (c in d) cur = d[c];
      else if (c === "十") { total += (cur || 1) * 10; cur = 0; }
      else if (c === "百") { total += (cur || 1) * 100; cur = 0; }
    }
    return total + cur;
  }

  // -- building bot text safely ------------------------------------------------------------
  function citeButton(label, numeral) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "cite";
    b.textContent = label;
    b.title = "查看" + label.match(CITE)[0] + "全文";
    b.setAttribute("data-button", "art:" + cnToInt(numeral));
    return b;
  }

  // Article references in the bot's own words (not in quoted text) open the article.
  function linkText(text, dst) {
    var re = /第([一二三四五六七八九十百零〇两]+)条/g, last = 0, m;
    while ((m = re.exec(text))) {
      if (m.index > last) dst.appendChild(document.createTextNode(text.slice(last, m.index)));
      dst.appendChild(citeButton(m[0], m[1]));
      last = re.lastIndex;
    }
    if (last < text.length) dst.appendChild(document.createTextNode(text.slice(last)));
  }

  function build(src, dst, quoted) {
    for (var n = src.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === 3) {
        var text = n.nodeValue;
        // A block quote already ends its line: drop the newline written after it.
        if (n.previousSibling && n.previousSibling.nodeName === "BLOCKQUOTE") text = text.replace(/^\n/, "");
        if (quoted) dst.appendChild(document.createTextNode(text));
        else linkText(text, dst);
      } else if (n.nodeType === 1 && ALLOWED[n.nodeName]) {
        var m = (n.nodeName === "B" || n.nodeName === "STRONG") && CITE.exec(n.textContent);
        if (m && !quoted) {
          dst.appendChild(citeButton(n.textContent, m[1]));
          continue;
        }
        var el = document.createElement(n.nodeName.toLowerCase());
        build(n, el, quoted || n.nodeName === "BLOCKQUOTE" || n.nodeName === "CODE" ||
              n.nodeName === "PRE");
        dst.appendChild(el);
      } else if (n.nodeType === 1) {
        build(n, dst, quoted); // unknown element: keep its text only
      }
    }
  }

  function richText(html) {
    var doc = new DOMParser().parseFromString("<!doctype html><body>" + html, "text/html");
    var box = document.createElement("div");
    box.className = "body";
    build(doc.body, box, false);
    return box;
  }

  function bubble(cls) {
    var div = document.createElement("div");
    div.className = "msg " + cls;
    log.appendChild(div);
    return div;
  }

  function scroll() { log.scrollTop = log.scrollHeight; }

  function addMine(text) {
    var div = bubble("me");
    div.textContent = text;
    scroll();
  }

  function addNote(text) {
    var div = bubble("note");
    div.textContent = text;
    div.setAttribute("role", "status");
    scroll();
    return div;
  }

  function addReply(reply, live) {
    var div = document.createElement("div");
    div.className = "msg bot";
    div.appendChild(richText(reply.html));
    var rows = document.createElement("div");
    rows.className = "rows";
    (reply.buttons || []).forEach(function (row) {
      var r = document.createElement("div");
      r.className = "row";
      row.forEach(function (b) {
        var btn = document.createElement("button");
        btn.type = "button";
        btn.className = "choice";
        btn.textContent = b.label;
        btn.setAttribute("data-button", b.data);
        if (!live && b.data.indexOf("art:") !== 0) btn.disabled = true;
        r.appendChild(btn);
      });
      rows.appendChild(r);
    });
    if (reply.report) {
      var r2 = document.createElement("div");
      r2.className = "row";
      var rb = document.createElement("button");
      rb.type = "button";
      rb.className = "choice primary";
      rb.textContent = T.report;
      rb.addEventListener("click", function () { openReport(reply.report); });
      r2.appendChild(rb);
      rows.appendChild(r2);
    }
    if (rows.firstChild) div.appendChild(rows);
    if (reply.replace_previous && lastBot && lastBot.parentNode) log.replaceChild(div, lastBot);
    else log.appendChild(div);
    lastBot = div;
    return div;
  }

  function showReplies(replies, fromButton) {
    var first = null;
    replies.forEach(function (r) {
      if (r.popup) { addNote(r.text); return; }
      var div = addReply(r, true);
      history.push({ who: "bot", reply: r });
      if (!first) first = div;
    });
    save();
    var last = replies[replies.length - 1];
    input.placeholder = last && last.expects_text ? T.typeHint : (mode ? input.placeholder : T.placeholder);
    scroll();
    var target = null;
    if (fromButton && lastBot && !(last && last.expects_text)) {
      target = lastBot.querySelector(".choice:not(:disabled)");
    }
    (target || input).focus({ preventScroll: true });
  }

  // -- the API ----------------------------------------------------------------------------
  function call(path, body, retried) {
    var headers = { "Content-Type": "application/json" };
    if (token) headers["X-Session-Token"] = token;
    return fetch(path, { method: "POST", headers: headers, body: JSON.stringify(body || {}),
                         credentials: "omit", cache: "no-store" })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (data) {
          if (res.status === 401 && !retried && path !== "api/session") {
            return startSession(true).then(function () {
              addNote(T.expired);
              return call(path, body, true);
            });
          }
          if (!res.ok) {
            var msg = data && data.error && data.error.message;
            throw new Error(msg || T.network);
          }
          return data;
        });
      }, function () { throw new Error(T.network); });
  }

  function startSession(quiet) {
    return call("api/session", {}, true).then(function (data) {
      token = data.token;
      session.setItem("qabot-token", token);
      if (data.pack) {
        $("sub").textContent = data.pack.award_name + " 在线咨询";
        $("foot").textContent = "依据《" + data.pack.title + "》（" + data.pack.doc_number +
          "）作答，每个回答注明出处条款，仅供参考。";
      }
      return data;
    });
  }

  function greet(data) {
    showReplies(data.replies || [], false);
    var hot = data.hot_questions || [];
    if (hot.length && lastBot) {
      var box = document.createElement("div");
      box.className = "hot";
      var title = document.createElement("p");
      title.className = "hot-title";
      title.textContent = T.hot;
      box.appendChild(title);
      hot.forEach(function (q) {
        var b = document.createElement("button");
        b.type = "button";
        b.className = "choice";
        b.textContent = q;
        b.setAttribute("data-ask", q);
        box.appendChild(b);
      });
      lastBot.appendChild(box);
    }
  }

  function setBusy(on) {
    busy = on;
    sendBtn.disabled = on;
    log.setAttribute("aria-busy", on ? "true" : "false");
  }

  function send(path, body, shown, fromButton) {
    if (busy) return Promise.resolve();
    setBusy(true);
    addMine(shown);
    history.push({ who: "me", text: shown });
    save();
    var wait = bubble("bot wait");
    wait.textContent = T.wait;
    scroll();
    return call(path, body).then(function (data) {
      wait.remove();
      showReplies(data.replies || [], fromButton);
    }, function (err) {
      wait.remove();
      addNote(err.message);
      input.focus();
    }).then(function () { setBusy(false); });
  }

  function sendText(text) {
    text = text.trim();
    if (!text) return;
    var shown = text;
    if (mode) {
      text = T.modes[mode][0] + " " + text;
      shown = text;
      setMode(null);
    }
    input.value = "";
    grow();
    send("api/message", { text: text }, shown, false);
  }

  function press(btn) {
    var data = btn.getAttribute("data-button");
    var owner = btn.closest(".msg");
    if (owner && data.indexOf("art:") !== 0) {
      owner.querySelectorAll("button[data-button]").forEach(function (b) {
        if (b.getAttribute("data-button").indexOf("art:") !== 0) b.disabled = true;
      });
    }
    send("api/button", { data: data }, btn.textContent, true);
  }

  // -- modes: the toolbar's article lookup, search, verify and honour-use check ---------------
  function setMode(name) {
    mode = name;
    if (name) {
      modeLabel.textContent = T.modes[name][1];
      modeBox.hidden = false;
      input.placeholder = T.modes[name][1];
      input.focus();
    } else {
      modeBox.hidden = true;
      input.placeholder = T.placeholder;
    }
  }

  function grow() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 200) + "px";
  }

  // -- large font (适老化) -------------------------------------------------------------------
  function setBig(on) {
    document.documentElement.classList.toggle("big", on);
    $("font").setAttribute("aria-pressed", on ? "true" : "false");
    $("font").textContent = on ? "标准字" : "大字";
    try { prefs.setItem("qabot-font", on ? "big" : "normal"); } catch (e) { /* ignore */ }
  }

  // -- 预审单 -------------------------------------------------------------------------------
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function openReport(r) {
    var sheet = $("report-body");
    sheet.textContent = "";
    var h = el("h2", "", r.title);
    h.id = "report-title";
    sheet.appendChild(h);
    sheet.appendChild(el("p", "meta", T.reportBasis + r.measures + "　" + T.reportKind + r.applicant +
      "　" + T.reportDate + r.date));
    sheet.appendChild(el("p", "verdict " + r.verdict, r.summary));
    if (r.earliest) sheet.appendChild(el("p", "when", r.earliest));
    r.clauses.forEach(function (c) {
      var box = el("section", "clause");
      var head = el("header");
      head.appendChild(el("span", "", c.label + (c.required ? "" : T.reportPriority)));
      head.appendChild(el("span", "status " + c.status, c.status_text));
      box.appendChild(head);
      box.appendChild(el("blockquote", "", c.text));
      if (c.answers.length) {
        var dl = el("dl");
        c.answers.forEach(function (a) {
          dl.appendChild(el("dt", "", a.question));
          dl.appendChild(el("dd", "", a.answer));
        });
        box.appendChild(dl);
      }
      if (c.note) box.appendChild(el("p", "small", c.note));
      if (c.met_from_text) box.appendChild(el("p", "when", c.met_from_text));
      if (c.evidence) box.appendChild(el("p", "doc", T.reportMaterial + c.evidence));
      sheet.appendChild(box);
    });
    if (r.unknown.length) {
      sheet.appendChild(el("h3", "", T.reportDocs));
      var ul = el("ul");
      r.unknown.forEach(function (u) { ul.appendChild(el("li", "", u.label + "：" + u.evidence)); });
      sheet.appendChild(ul);
      sheet.appendChild(el("p", "small", r.evidence_note));
    }
    if (r.next_steps.length) {
      sheet.appendChild(el("h3", "", T.reportSteps));
      var ol = el("ol");
      r.next_steps.forEach(function (s) { ol.appendChild(el("li", "", s)); });
      sheet.appendChild(ol);
    }
    sheet.appendChild(el("p", "small", r.disclaimer));
    $("report").hidden = false;
    document.body.classList.add("report-open");
    $("app").setAttribute("aria-hidden", "true");
    $("report").focus();
  }

  function closeReport() {
    $("report").hidden = true;
    document.body.classList.remove("report-open");
    $("app").removeAttribute("aria-hidden");
    input.focus();
  }

  // -- wiring -----------------------------------------------------------------------------
  function init() {
    log = $("log"); input = $("input"); form = $("form"); sendBtn = $("send");
    modeBox = $("mode"); modeLabel = $("mode-label");

    var font = params.get("font") || prefs.getItem("qabot-font");
    setBig(font === "big");
    $("font").addEventListener("click", function () {
      setBig(!document.documentElement.classList.contains("big"));
    });
    if (embedded) {
      $("close").hidden = false;
      $("close").addEventListener("click", function () {
        window.parent.postMessage({ type: "qabot:close" }, "*");
      });
    }
    form.addEventListener("submit", function (e) { e.preventDefault(); sendText(input.value); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); sendText(input.value); }
      else if (e.key === "Escape" && mode) setMode(null);
    });
    input.addEventListener("input", grow);
    $("mode-cancel").addEventListener("click", function () { setMode(null); });
    document.querySelectorAll(".actions button").forEach(function (b) {
      b.addEventListener("click", function () {
        if (b.hasAttribute("data-send")) { setMode(null); send("api/message", { text: b.getAttribute("data-send") }, b.textContent, true); }
        else setMode(b.getAttribute("data-mode"));
      });
    });
    log.addEventListener("click", function (e) {
      var t = e.target.closest("button");
      if (!t || t.disabled || busy) return;
      if (t.hasAttribute("data-button")) press(t);
      else if (t.hasAttribute("data-ask")) send("api/message", { text: t.getAttribute("data-ask") }, t.getAttribute("data-ask"), false);
    });
    $("print").addEventListener("click", function () { window.print(); });
    $("report-close").addEventListener("click", closeReport);
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && !$("report").hidden) closeReport();
    });

    var lastIndex = -1;
    history.forEach(function (h, i) { if (h.who === "bot") lastIndex = i; });
    history.forEach(function (h, i) {
      if (h.who === "me") addMine(h.text);
      else lastBot = addReply(h.reply, i === lastIndex);
    });
    scroll();
    var resumed = history.length > 0;
    setBusy(true);
    startSession().then(function (data) {
      if (!resumed || !data.resumed) greet(data);
    }, function (err) { addNote(err.message); })
      .then(function () { setBusy(false); input.focus({ preventScroll: true }); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
