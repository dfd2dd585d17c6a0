/* 质量奖助手 embed: <script src="https://助手地址/widget.js" defer></script>
   Adds a floating 在线咨询 button that opens the chat in an iframe. Optional attributes on the
   script tag: data-label="在线咨询", data-position="left" (default right), data-font="big". */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__qabotWidget) return;
  window.__qabotWidget = true;
  var base = script.src.replace(/widget\.js(?:[?#].*)?$/, "");
  var origin = new URL(base, location.href).origin;
  var label = script.getAttribute("data-label") || "在线咨询";
  var left = script.getAttribute("data-position") === "left";
  var big = script.getAttribute("data-font") === "big";
  var phone = window.matchMedia("(max-width: 480px)");
  var button, frame, open = false;

  function place() {
    if (!frame) return;
    var s = frame.style;
    if (phone.matches) {
      s.top = "0"; s.bottom = "0"; s.left = "0"; s.right = "0";
      s.width = "100%"; s.height = "100%"; s.borderRadius = "0";
    } else {
      s.top = "auto"; s.bottom = "84px"; s.width = "400px"; s.height = "min(680px, calc(100vh - 110px))";
      s.borderRadius = "12px";
      if (left) { s.left = "20px"; s.right = "auto"; } else { s.right = "20px"; s.left = "auto"; }
    }
  }

  function show() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.src = base + "?embed=1" + (big ? "&font=big" : "");
      frame.title = "质量奖助手 在线咨询";
      frame.id = "qabot-frame";
      var s = frame.style;
      s.position = "fixed"; s.zIndex = "2147483646"; s.border = "1px solid #d0d7de";
      s.background = "#fff"; s.boxShadow = "0 8px 28px rgba(0,0,0,.25)";
      document.body.appendChild(frame);
      place();
    }
    frame.style.display = "block";
    open = true;
    button.setAttribute("aria-expanded", "true");
    if (phone.matches) button.style.display = "none";
    frame.focus();
  }

  function hide() {
    if (!frame) return;
    frame.style.display = "none";
    open = false;
    button.style.display = "block";
    button.setAttribute("aria-expanded", "false");
    button.focus();
  }

  function init() {
    button = document.createElement("button");
    button.type = "button";
    button.id = "qabot-open";
    button.textContent = label;
    button.setAttribute("aria-haspopup", "dialog");
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-controls", "qabot-frame");
    var s = button.style;
    s.position = "fixed"; s.bottom = "20px"; s[left ? "left" : "right"] = "20px";
    s.zIndex = "2147483647"; s.padding = "12px 20px"; s.fontSize = big ? "22px" : "17px";
    s.border = "0"; s.borderRadius = "24px"; s.background = "#b3261e"; s.color = "#fff";
    s.boxShadow = "0 4px 14px rgba(0,0,0,.3)"; s.cursor = "pointer";
    s.fontFamily = "system-ui, 'PingFang SC', 'Microsoft YaHei', sans-serif";
    button.addEventListener("click", function () { if (open) hide(); else show(); });
    document.body.appendChild(button);
  }

  window.addEventListener("message", function (e) {
    if (e.origin === origin && e.data && e.data.type === "qabot:close") hide();
  });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape" && open) hide(); });
  if (phone.addEventListener) phone.addEventListener("change", place);
  if (document.body) init(); else document.addEventListener("DOMContentLoaded", init);
})();
