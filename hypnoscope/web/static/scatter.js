// hypnoscope browse: the scatter view. One point per video on a canvas; hover names it,
// a click opens its clip page. Names reach the page only through textContent.
(function () {
  "use strict";
  var canvas = document.getElementById("scatter");
  if (!canvas) return;
  var tip = document.getElementById("tip");
  var legend = document.getElementById("legend");
  var status = document.getElementById("scatter-status");
  var COLORS = ["#e8590c", "#1971c2", "#2b8a3e", "#9c36b5", "#e67700", "#0c8599",
                "#c2255c", "#5c940d", "#495057", "#3b5bdb"];
  var PAD = {l: 58, r: 16, t: 14, b: 44};
  var data = null, px = [], py = [], colorOf = {};

  function extent(v) {
    var lo = Infinity, hi = -Infinity;
    for (var i = 0; i < v.length; i++) { if (v[i] < lo) lo = v[i]; if (v[i] > hi) hi = v[i]; }
    if (!isFinite(lo)) { lo = 0; hi = 1; }
    if (hi === lo) { lo -= 0.5; hi += 0.5; }
    var m = (hi - lo) * 0.04;
    return [lo - m, hi + m];
  }

  function ticks(lo, hi, n) {
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n)));
    var err = (hi - lo) / n / step;
    step *= err >= 7.5 ? 10 : err >= 3.5 ? 5 : err >= 1.5 ? 2 : 1;
    var out = [];
    for (var t = Math.ceil(lo / step) * step; t <= hi; t += step) out.push(+t.toPrecision(12));
    return out;
  }

  function draw() {
    var dpr = window.devicePixelRatio || 1;
    var w = canvas.clientWidth, h = canvas.clientHeight;
    canvas.width = w * dpr; canvas.height = h * dpr;
    var g = canvas.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    var ex = extent(data.x), ey = extent(data.y);
    var sx = function (v) { return PAD.l + (v - ex[0]) / (ex[1] - ex[0]) * (w - PAD.l - PAD.r); };
    var sy = function (v) { return h - PAD.b - (v - ey[0]) / (ey[1] - ey[0]) * (h - PAD.t - PAD.b); };
    g.strokeStyle = "#e4e7eb"; g.fillStyle = "#616e7c"; g.font = "12px system-ui, sans-serif";
    g.lineWidth = 1;
    ticks(ex[0], ex[1], 8).forEach(function (t) {
      var x = Math.round(sx(t)) + 0.5;
      g.beginPath(); g.moveTo(x, PAD.t); g.lineTo(x, h - PAD.b); g.stroke();
      g.textAlign = "center"; g.fillText(String(t), x, h - PAD.b + 16);
    });
    ticks(ey[0], ey[1], 6).forEach(function (t) {
      var y = Math.round(sy(t)) + 0.5;
      g.beginPath(); g.moveTo(PAD.l, y); g.lineTo(w - PAD.r, y); g.stroke();
      g.textAlign = "right"; g.fillText(String(t), PAD.l - 6, y + 4);
    });
    g.textAlign = "center"; g.fillStyle = "#1f2933";
    g.fillText(data.x_label, PAD.l + (w - PAD.l - PAD.r) / 2, h - 8);
    g.save(); g.translate(14, PAD.t + (h - PAD.t - PAD.b) / 2); g.rotate(-Math.PI / 2);
    g.fillText(data.y_label, 0, 0); g.restore();
    var n = data.x.length, r = n > 20000 ? 1.5 : n > 2000 ? 2.5 : 4;
    g.globalAlpha = n > 2000 ? 0.6 : 0.85;
    px = new Float64Array(n); py = new Float64Array(n);
    for (var i = 0; i < n; i++) {
      px[i] = sx(data.x[i]); py[i] = sy(data.y[i]);
      g.fillStyle = colorOf[data.group[i]];
      g.beginPath(); g.arc(px[i], py[i], r, 0, 2 * Math.PI); g.fill();
    }
    g.globalAlpha = 1;
  }

  function nearest(ev) {
    var rect = canvas.getBoundingClientRect();
    var x = ev.clientX - rect.left, y = ev.clientY - rect.top, best = -1, bd = 64;
    for (var i = 0; i < px.length; i++) {
      var d = (px[i] - x) * (px[i] - x) + (py[i] - y) * (py[i] - y);
      if (d < bd) { bd = d; best = i; }
    }
    return best;
  }

  function url(i) { return "/clip/" + encodeURIComponent(data.id[i]); }

  canvas.addEventListener("mousemove", function (ev) {
    if (!data) return;
    var i = nearest(ev);
    if (i < 0) { tip.style.display = "none"; canvas.style.cursor = "crosshair"; return; }
    tip.textContent = data.name[i] + (data.group[i] ? " · " + data.group[i] : "");
    tip.style.left = (px[i] + 10) + "px"; tip.style.top = (py[i] - 10) + "px";
    tip.style.display = "block"; canvas.style.cursor = "pointer";
  });
  canvas.addEventListener("mouseleave", function () { tip.style.display = "none"; });
  canvas.addEventListener("click", function (ev) {
    if (!data) return;
    var i = nearest(ev);
    if (i >= 0) window.location.href = url(i);
  });

  fetch(canvas.getAttribute("data-src"), {credentials: "same-origin"})
    .then(function (r) {
      if (!r.ok) throw new Error("the data could not be read (HTTP " + r.status + ")");
      return r.json();
    })
    .then(function (d) {
      data = d;
      var groups = [];
      d.group.forEach(function (gname) {
        if (!(gname in colorOf)) {
          // the reports' colours for generated and camera footage
          colorOf[gname] = gname === "ai" ? "#e8590c" : gname === "real" ? "#1971c2"
            : COLORS[(groups.length + 2) % COLORS.length];
          groups.push(gname);
        }
      });
      groups.forEach(function (gname) {
        var s = document.createElement("span"), dot = document.createElement("i");
        dot.style.background = colorOf[gname];
        s.appendChild(dot);
        s.appendChild(document.createTextNode(gname || "(none)"));
        legend.appendChild(s);
      });
      draw();
      status.textContent = d.x.length + " video" + (d.x.length === 1 ? "" : "s") +
        " with both values. Click a point to open the video.";
      window.hypnoscopeScatter = {
        ids: d.id,
        point: function (i) { return [px[i], py[i]]; }
      };
      window.addEventListener("resize", draw);
      canvas.setAttribute("data-ready", String(d.x.length));
    })
    .catch(function (e) { status.textContent = String(e.message || e); });
})();
