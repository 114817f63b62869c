// The timeline page's code: decodes the columnar session data written by
// tools/timeline/timeline_html.cc, draws lanes on a canvas (aggregating per
// pixel column when zoomed out), and runs zoom, pan, search and the details pane.
(function () {
  'use strict';
  const t_start = performance.now();
  const page = JSON.parse(document.getElementById('lx-data').textContent);

  // ---------- decoding ----------
  // Varint strings (json_text.cc, append_varint_string): 5 bits a character,
  // low digits first; 'A'-'f' end a number, 'g'-'_' carry on.
  const DIGIT = new Int8Array(128).fill(-1);
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef'.split('').forEach(function (c, i) { DIGIT[c.charCodeAt(0)] = i; });
  'ghijklmnopqrstuvwxyz0123456789-_'.split('').forEach(function (c, i) { DIGIT[c.charCodeAt(0)] = 32 + i; });
  function V(str) {
    if (typeof str !== 'string') return Float64Array.from(str || []);
    let n = 0;
    for (let i = 0; i < str.length; i++) if (DIGIT[str.charCodeAt(i)] < 32) n++;
    const out = new Float64Array(n);
    let v = 0, scale = 1, k = 0;
    for (let i = 0; i < str.length; i++) {
      const d = DIGIT[str.charCodeAt(i)];
      if (d >= 32) { v += (d - 32) * scale; scale *= 32; } else { out[k++] = v + d * scale; v = 0; scale = 1; }
    }
    return out;
  }
  function cum(a) {
    a = V(a);
    const out = new Float64Array(a.length);
    let v = 0;
    for (let i = 0; i < a.length; i++) { v += a[i]; out[i] = v; }
    return out;
  }
  function plus(base, a) {  // base[i] + a[i] - 1, or 0 where a[i] is 0 (none)
    const out = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) out[i] = a[i] ? base[i] + a[i] - 1 : 0;
    return out;
  }
  function offset(from, a) {
    const out = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) out[i] = from[i] ? from[i] + a[i] : 0;
    return out;
  }
  function decodeFlow(x, p, s) {
    if (!x[p + 'a']) return null;
    const first = plus(s, V(x[p + 'a']));
    return {
      first: first, last: offset(first, V(x[p + 'b'])), n: V(x[p + 'n']),
      bytes: V(x[p + 'l']), head: x[p + 'h'] ? Int32Array.from(V(x[p + 'h'])) : null,
    };
  }

  function decodeSession(S, index) {
    const s = {
      index: index, name: S.name || '', title: S.title, log: S.log, sub: S.subtitle, events: S.events,
      regenerated: S.regenerated, headCap: S.headCap, headEvery: S.headEvery || 1, heads: S.heads, texts: S.texts,
      t0: S.clock.t0,
    };
    s.clockE = cum(S.clock.e);
    s.clockT = cum(S.clock.t);  // axis microseconds from t0
    s.recordedExceptions = new Map(S.clock.x || []);
    // lanes
    const L = S.lanes;
    s.lanes = [];
    let xoff = 0;
    for (let i = 0; i < L.c.length; i++) {
      s.lanes.push({
        chid: L.c[i], kind: L.k[i], port: L.p[i], target: L.g[i], first: L.a[i], last: L.z[i],
        bytesIn: L.i[i], bytesSent: L.o[i], lo: xoff, hi: xoff + L.n[i], marks: [],
      });
      xoff += L.n[i];
    }
    // exchanges: starts are deltas within each lane
    const X = { s: V(S.x.s), d: V(S.x.d) };
    const n = X.s.length;
    const xs = new Float64Array(n), xe = new Float64Array(n), xl = new Int32Array(n), maxe = new Float64Array(n);
    for (const lane of s.lanes) {
      let v = 0, m = 0;
      for (let i = lane.lo; i < lane.hi; i++) {
        v += X.s[i]; xs[i] = v; xe[i] = v + X.d[i];
        m = Math.max(m, xe[i]); maxe[i] = m;
      }
    }
    s.lanes.forEach(function (lane, li) { for (let i = lane.lo; i < lane.hi; i++) xl[i] = li; });
    s.xs = xs; s.xe = xe; s.xl = xl; s.maxe = maxe; s.count = n;
    s.fin = decodeFlow(S.x, 'i', xs);
    s.fq = decodeFlow(S.x, 'q', xs);
    s.fo = decodeFlow(S.x, 'o', xs);
    s.updates = cum(S.u);
    // marks
    const M = S.m;
    const ml = V(M.l);
    s.marks = { k: Int32Array.from(V(M.k)), e: cum(M.e), l: new Int32Array(ml.length), t: Int32Array.from(V(M.t)) };
    s.globalMarks = [];
    for (let i = 0; i < ml.length; i++) {
      s.marks.l[i] = ml[i] - 1;
      if (ml[i] > 0) s.lanes[ml[i] - 1].marks.push(i); else s.globalMarks.push(i);
    }
    // axis positions: microseconds from t0 per event (time axis), as a table
    // up to kAxisTable events; past that (event numbers with gaps in a
    // damaged log) each is computed when asked.
    s.axis = s.events + 2 <= kAxisTable ? axisTimes(s) : null;
    return s;
  }

  const kAxisTable = 1 << 25;
  function axisTimeOf(s, e) {
    const E = s.clockE, T = s.clockT, m = E.length;
    if (m === 0) return e * 1000;
    if (e < E[0]) return T[0] - (E[0] - e);
    let lo = 0, hi = m - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (E[mid] <= e) lo = mid; else hi = mid - 1; }
    if (lo + 1 === m) return T[lo] + (e - E[lo]);
    return T[lo] + (T[lo + 1] - T[lo]) * (e - E[lo]) / (E[lo + 1] - E[lo]);
  }
  // The same rule as SessionModel::axis_time_of: events between two clocks
  // spread evenly across that tick; before the first and after the last 1 us apart.
  function axisTimes(s) {
    const n = s.events + 2;
    const a = new Float64Array(n);
    const E = s.clockE, T = s.clockT, m = E.length;
    if (m === 0) { for (let e = 0; e < n; e++) a[e] = e * 1000; return a; }
    let i = 0;
    for (let e = 0; e < n; e++) {
      while (i + 1 < m && E[i + 1] <= e) i++;
      if (e < E[0]) a[e] = T[0] - (E[0] - e);
      else if (i + 1 === m) a[e] = T[i] + (e - E[i]);
      else a[e] = T[i] + (T[i + 1] - T[i]) * (e - E[i]) / (E[i + 1] - E[i]);
    }
    return a;
  }
  function recordedClock(s, e) {  // seconds, as the log recorded them
    const E = s.clockE;
    if (E.length === 0) return null;
    let lo = 0, hi = E.length - 1;
    if (e < E[0]) return clockAt(s, 0);
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (E[mid] <= e) lo = mid; else hi = mid - 1; }
    return clockAt(s, lo);
  }
  function clockAt(s, i) {
    if (s.recordedExceptions.has(i)) return s.recordedExceptions.get(i);
    return s.t0 + s.clockT[i] / 1e6;
  }

  const sessions = page.sessions.map(decodeSession);
  const two = sessions.length > 1;
  const KIND = ['stdio', 'accepted', 'outgoing'];
  const MARK = ['accept', 'half-close', 'close', 'gone', 'checkpoint', 'snapshot', 'code load', 'divergence', 'end'];
  const MK = { accept: 0, half: 1, close: 2, gone: 3, checkpoint: 4, snapshot: 5, source: 6, divergence: 7, end: 8 };

  // ---------- rows ----------
  const ROW_LANE = 22, ROW_SESSION = 30, ROW_GROUP = 22, AXIS_H = 30, GUTTER = 190;
  const rows = [];
  for (const s of sessions) {
    if (two) rows.push({ type: 'group', s: s, h: ROW_GROUP });
    rows.push({ type: 'session', s: s, h: ROW_SESSION });
    s.lanes.forEach(function (lane, li) { rows.push({ type: 'lane', s: s, lane: lane, li: li, h: ROW_LANE }); });
  }
  let rowsHeight = 0;
  for (const r of rows) { r.y = rowsHeight; rowsHeight += r.h; }

  // ---------- view ----------
  const canvas = document.getElementById('canvas');
  const ctx = canvas.getContext('2d');
  const state = {
    axis: two ? 'event' : 'time', v0: 0, v1: 1, scrollY: 0, width: 0, height: 0,
    sel: null, hover: null, matches: [], matchAt: -1, stats: { boxes: 0, columns: 0, lanes: 0 },
  };
  function pos(s, e) {
    if (state.axis !== 'time') return e;
    if (!s.axis) return axisTimeOf(s, e);
    return s.axis[Math.max(0, Math.min(s.axis.length - 1, e))];
  }
  function extent() {
    let lo = Infinity, hi = -Infinity;
    for (const s of sessions) {
      lo = Math.min(lo, pos(s, 1)); hi = Math.max(hi, pos(s, Math.max(1, s.events)));
    }
    if (!isFinite(lo)) { lo = 0; hi = 1; }
    if (hi <= lo) hi = lo + 1;
    return [lo, hi];
  }
  function fit() {
    const [lo, hi] = extent();
    const pad = (hi - lo) * 0.01;
    state.v0 = lo - pad; state.v1 = hi + pad;
    draw();
  }
  function plotW() { return Math.max(10, state.width - GUTTER - 12); }
  function X(p) { return GUTTER + (p - state.v0) * plotW() / (state.v1 - state.v0); }
  function unX(x) { return state.v0 + (x - GUTTER) * (state.v1 - state.v0) / plotW(); }
  function zoomAt(x, factor) {
    const p = unX(x);
    const [lo, hi] = extent();
    const minSpan = state.axis === 'time' ? 2 : 4;
    let span = (state.v1 - state.v0) * factor;
    span = Math.max(minSpan, Math.min(span, (hi - lo) * 4));
    const f = (p - state.v0) / (state.v1 - state.v0);
    state.v0 = p - f * span; state.v1 = state.v0 + span;
    draw();
  }
  function pan(dx) {
    const d = dx * (state.v1 - state.v0) / plotW();
    state.v0 -= d; state.v1 -= d;
    draw();
  }
  function scrollBy(dy) {
    const max = Math.max(0, rowsHeight - (state.height - AXIS_H));
    state.scrollY = Math.max(0, Math.min(max, state.scrollY + dy));
    draw();
  }

  // ---------- drawing ----------
  const C = {
    grid: '#eceff3', laneA: '#ffffff', laneB: '#fafbfc', text: '#1f2430', muted: '#6b7280',
    box: '#3b82f6', boxCounts: '#14b8a6', open: '#f59e0b', sel: '#111827', life: '#c7ccd4',
    accept: '#16a34a', half: '#f59e0b', close: '#dc2626', gone: '#9ca3af',
    checkpoint: '#2563eb', snapshot: '#7c3aed', source: '#059669', divergence: '#dc2626', end: '#374151',
    update: '#9aa3af', note: '#db2777',
  };
  function resize() {
    const r = canvas.parentElement.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    state.width = r.width; state.height = r.height;
    canvas.width = Math.round(r.width * dpr); canvas.height = Math.round(r.height * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  }
  function niceStep(span, target) {
    const raw = span / target;
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
    return 10 * p;
  }
  function fmtAxis(v, step) {
    if (state.axis === 'event') return '#' + Math.round(v).toLocaleString('en-US');
    const sec = v / 1e6;
    const digits = Math.max(0, Math.min(6, -Math.floor(Math.log10(step / 1e6))));
    return '+' + sec.toFixed(digits) + ' s';
  }
  function laneLabel(lane) {
    if (lane.kind === 0) return 'stdio (ch 0)';
    if (lane.kind === 1) return 'ch ' + lane.chid + ' \u2190 :' + lane.port;
    return 'ch ' + lane.chid + ' \u2192 ' + (lane.target || 'outgoing');
  }
  function flowHead(s, f, i) {
    if (!f || !f.head || !f.head[i]) return '';
    return s.heads[f.head[i] - 1];
  }
  function requestFlow(s, lane) { return lane.kind === 2 ? (s.fq || s.fo) : s.fin; }
  function spanName(s, i) {
    const lane = s.lanes[s.xl[i]];
    const h = flowHead(s, lane.kind === 2 ? s.fq : s.fin, i);
    const nl = h.search(/[\r\n]/);
    return (nl >= 0 ? h.slice(0, nl) : h).replace(/[^\x20-\x7e]/g, '\u00b7');
  }
  function answered(s, i) {
    const lane = s.lanes[s.xl[i]];
    if (lane.kind === 2) return !!(s.fin && s.fin.first[i]);
    return !!((s.fq && s.fq.first[i]) || (s.fo && s.fo.first[i]));
  }

  function draw() {
    const W = state.width, H = state.height;
    ctx.clearRect(0, 0, W, H);
    ctx.font = '12px system-ui, "DejaVu Sans", sans-serif';
    ctx.textBaseline = 'middle';
    const stats = { boxes: 0, columns: 0, lanes: 0, marks: 0 };
    const span = state.v1 - state.v0;
    const step = niceStep(span, Math.max(2, plotW() / 110));
    // grid
    ctx.fillStyle = C.grid;
    for (let v = Math.ceil(state.v0 / step) * step; v <= state.v1; v += step) ctx.fillRect(Math.round(X(v)), AXIS_H, 1, H - AXIS_H);
    // rows
    ctx.save();
    ctx.beginPath(); ctx.rect(0, AXIS_H, W, H - AXIS_H); ctx.clip();
    for (const r of rows) {
      const y = AXIS_H + r.y - state.scrollY;
      if (y + r.h < AXIS_H || y > H) continue;
      if (r.type === 'group') drawGroup(r, y);
      else if (r.type === 'session') drawSessionRow(r, y, stats);
      else { drawLane(r, y, stats); stats.lanes++; }
    }
    ctx.save(); clipPlot(AXIS_H, H - AXIS_H); drawLines(); ctx.restore();
    ctx.restore();
    // axis
    ctx.fillStyle = '#ffffff'; ctx.fillRect(0, 0, W, AXIS_H);
    ctx.fillStyle = C.line || '#e3e6eb'; ctx.fillRect(0, AXIS_H - 1, W, 1);
    ctx.fillStyle = C.muted; ctx.textAlign = 'left';
    for (let v = Math.ceil(state.v0 / step) * step; v <= state.v1; v += step) {
      const x = Math.round(X(v));
      if (x < GUTTER) continue;
      ctx.fillRect(x, AXIS_H - 6, 1, 6);
      ctx.fillText(fmtAxis(v, step), x + 3, AXIS_H / 2);
    }
    ctx.fillStyle = C.text; ctx.font = '600 12px system-ui, "DejaVu Sans", sans-serif';
    ctx.fillText(state.axis === 'time' ? 'recorded clock' : 'event number', 12, AXIS_H / 2);
    // gutter edge
    ctx.fillStyle = '#e3e6eb'; ctx.fillRect(GUTTER - 1, 0, 1, H);
    state.stats = stats;
    statusLine();
    app.dataset.drawnBoxes = String(stats.boxes);
    app.dataset.drawnColumns = String(stats.columns);
  }

  function label(text, x, y, maxW, color, bold) {
    ctx.fillStyle = color; ctx.textAlign = 'left';
    ctx.font = (bold ? '600 ' : '') + '12px system-ui, "DejaVu Sans", sans-serif';
    if (ctx.measureText(text).width > maxW) {
      while (text.length > 1 && ctx.measureText(text + '\u2026').width > maxW) text = text.slice(0, -1);
      text += '\u2026';
    }
    ctx.fillText(text, x, y);
  }

  function drawGroup(r, y) {
    ctx.fillStyle = '#eef2f7'; ctx.fillRect(0, y, state.width, r.h);
    label((r.s.name ? r.s.name + ': ' : '') + r.s.title, 10, y + r.h / 2, state.width - 20, C.text, true);
  }

  function columnBar(x, y, h, count, color) {
    ctx.globalAlpha = Math.min(1, 0.3 + 0.12 * count);
    ctx.fillStyle = color; ctx.fillRect(x, y, 1, h);
    ctx.globalAlpha = 1;
  }

  function drawSessionRow(r, y, stats) {
    const s = r.s;
    ctx.fillStyle = '#f3f5f8'; ctx.fillRect(0, y, state.width, r.h);
    ctx.fillStyle = '#e3e6eb'; ctx.fillRect(0, y + r.h - 1, state.width, 1);
    label('session: update(), marks', 10, y + r.h / 2, GUTTER - 16, C.muted, true);
    ctx.save(); clipPlot(y, r.h);
    // update() calls, one bar per pixel column
    const U = s.updates;
    let i = lowerBound(U, eventAt(s, state.v0));
    let col = -1, count = 0;
    const base = y + r.h - 3;
    for (; i < U.length; i++) {
      const x = Math.floor(X(pos(s, U[i])));
      if (x > state.width) break;
      if (x !== col) {
        if (count) drawUpdates(col, base, count);
        col = x; count = 0;
      }
      count++;
    }
    if (count) drawUpdates(col, base, count);
    for (const m of s.globalMarks) stats.marks += drawMark(s, m, y, r.h, true) ? 1 : 0;
    ctx.restore();
  }
  function drawUpdates(x, base, count) {
    if (x < GUTTER) return;
    const h = Math.min(12, 3 + 2.2 * Math.log2(1 + count));
    ctx.fillStyle = C.update; ctx.fillRect(x, base - h, 1, h);
  }

  function markColor(k) {
    return [C.accept, C.half, C.close, C.gone, C.checkpoint, C.snapshot, C.source, C.divergence, C.end][k] || C.muted;
  }
  function drawMark(s, m, y, h, global) {
    const k = s.marks.k[m];
    const x = Math.round(X(pos(s, s.marks.e[m])));
    if (x < GUTTER - 4 || x > state.width + 4) return false;
    ctx.fillStyle = markColor(k);
    const selected = state.sel && state.sel.kind === 'mark' && state.sel.s === s && state.sel.i === m;
    if (k === MK.accept) {
      ctx.beginPath(); ctx.moveTo(x, y + 4); ctx.lineTo(x + 6, y + h / 2); ctx.lineTo(x, y + h - 4); ctx.closePath(); ctx.fill();
    } else if (global) {
      const top = y + 3;
      if (k === MK.checkpoint || k === MK.snapshot) {
        ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x + 4, top + 5); ctx.lineTo(x, top + 10); ctx.lineTo(x - 4, top + 5); ctx.closePath(); ctx.fill();
      } else {
        ctx.fillRect(x - 1, top, 3, 10);
      }
    } else {
      ctx.fillRect(x - 1, y + 3, 2, h - 6);
    }
    if (selected) { ctx.strokeStyle = C.sel; ctx.lineWidth = 1.5; ctx.strokeRect(x - 5, y + 1, 10, h - 2); }
    return true;
  }

  function drawLane(r, y, stats) {
    const s = r.s, lane = r.lane, h = r.h;
    ctx.fillStyle = r.li % 2 ? C.laneB : C.laneA; ctx.fillRect(0, y, state.width, h);
    const selLane = state.sel && state.sel.kind === 'lane' && state.sel.s === s && state.sel.li === r.li;
    label(laneLabel(lane), 10, y + h / 2, GUTTER - 16, selLane ? C.checkpoint : C.text, selLane);
    ctx.save(); clipPlot(y, h);
    // life line
    const a = Math.max(GUTTER, X(pos(s, lane.first))), b = Math.min(state.width, X(pos(s, lane.last)));
    if (b >= a) { ctx.fillStyle = C.life; ctx.fillRect(a, y + h / 2, Math.max(1, b - a), 1); }
    // exchanges
    let i = firstVisible(s, lane);
    let col = -1, count = 0, colColor = C.box;
    const top = y + 4, bh = h - 8;
    const vEnd = state.v1;
    for (; i < lane.hi; i++) {
      const p0 = pos(s, s.xs[i]);
      if (p0 > vEnd) break;
      const x0 = X(p0), x1 = X(pos(s, s.xe[i]));
      const color = !answered(s, i) ? C.open : s.regenerated ? C.box : C.boxCounts;
      if (x1 - x0 < 3) {
        const c = Math.floor(x0);
        if (c !== col) {
          if (count) { columnBar(col, top, bh, count, colColor); stats.columns++; }
          col = c; count = 0; colColor = color;
        }
        count++;
        if (color === C.open) colColor = C.open;
        continue;
      }
      if (count) { columnBar(col, top, bh, count, colColor); stats.columns++; count = 0; col = -1; }
      const w = Math.max(3, x1 - x0);
      if (color === C.open) {
        ctx.fillStyle = '#fff7e6'; ctx.fillRect(x0, top, w, bh);
        ctx.strokeStyle = C.open; ctx.lineWidth = 1; ctx.strokeRect(x0 + 0.5, top + 0.5, w - 1, bh - 1);
      } else {
        ctx.fillStyle = color; ctx.fillRect(x0, top, w, bh);
      }
      if (w > 48) {
        ctx.save(); ctx.beginPath(); ctx.rect(x0 + 3, top, w - 6, bh); ctx.clip();
        label(spanName(s, i), x0 + 4, top + bh / 2, w - 8, color === C.open ? '#9a3412' : '#ffffff', false);
        ctx.restore();
      }
      stats.boxes++;
    }
    if (count) { columnBar(col, top, bh, count, colColor); stats.columns++; }
    for (const m of lane.marks) stats.marks += drawMark(s, m, y, h, false) ? 1 : 0;
    const sel = state.sel;
    if (sel && sel.kind === 'x' && sel.s === s && s.xl[sel.i] === r.li) {
      const x0 = X(pos(s, s.xs[sel.i])), x1 = Math.max(x0 + 3, X(pos(s, s.xe[sel.i])));
      ctx.strokeStyle = C.sel; ctx.lineWidth = 2; ctx.strokeRect(x0 - 2, top - 2, x1 - x0 + 4, bh + 4);
    }
    ctx.restore();
  }
  // Confines drawing to the plot (right of the lane labels), rows y to y + h.
  function clipPlot(y, h) { ctx.beginPath(); ctx.rect(GUTTER, y, state.width - GUTTER, h); ctx.clip(); }

  // Vertical lines: divergences (each session) and the page's notes (lxdiff).
  function drawLines() {
    const H = state.height;
    for (const s of sessions) {
      for (const m of s.globalMarks) {
        if (s.marks.k[m] !== MK.divergence) continue;
        const x = Math.round(X(pos(s, s.marks.e[m])));
        const r0 = rows.find(function (r) { return r.s === s; });
        const y0 = AXIS_H + r0.y - state.scrollY;
        const y1 = two ? y0 + rowsOf(s) : H;
        ctx.fillStyle = C.divergence; ctx.fillRect(x - 1, y0, 2, y1 - y0);
        const text = 'diverged at #' + s.marks.e[m] + ': ' + firstLine(s.texts[s.marks.t[m]] || '');
        ctx.font = '600 12px system-ui, "DejaVu Sans", sans-serif';
        const w = Math.min(420, ctx.measureText(text).width + 12);
        const lx = x + w + 8 > state.width ? x - w - 4 : x + 4;
        ctx.fillStyle = 'rgba(220, 38, 38, 0.92)'; ctx.fillRect(lx, y0 + 2, w, 18);
        label(text, lx + 6, y0 + 11, w - 10, '#ffffff', true);
      }
    }
    (page.notes || []).forEach(function (n, k) {
      const x = Math.round(X(n.event));
      ctx.fillStyle = n.kind === 'difference' ? C.divergence : n.kind === 'checkpoint' ? C.checkpoint : C.note;
      ctx.globalAlpha = 0.85; ctx.fillRect(x - 1, AXIS_H, 2, H - AXIS_H); ctx.globalAlpha = 1;
      const text = n.label + ' #' + n.event;
      ctx.font = '600 12px system-ui, "DejaVu Sans", sans-serif';
      const w = ctx.measureText(text).width + 12;
      ctx.fillRect(x + 3, AXIS_H + 4 + 20 * k, w, 18);
      label(text, x + 9, AXIS_H + 13 + 20 * k, w, '#ffffff', true);
    });
  }
  function rowsOf(s) { let h = 0; for (const r of rows) if (r.s === s) h += r.h; return h; }
  function firstLine(t) { const i = t.indexOf('\n'); return i >= 0 ? t.slice(0, i) : t; }

  function lowerBound(a, v, lo, hi) {
    lo = lo || 0; hi = hi === undefined ? a.length : hi;
    while (lo < hi) { const m = (lo + hi) >> 1; if (a[m] < v) lo = m + 1; else hi = m; }
    return lo;
  }
  // The first event at or after axis position p.
  function eventAt(s, p) {
    if (state.axis === 'event') return Math.max(0, Math.floor(p));
    if (s.axis) return lowerBound(s.axis, p);
    let lo = 0, hi = s.events + 1;  // the first event whose axis position is at least p
    while (lo < hi) { const m = Math.floor((lo + hi) / 2); if (axisTimeOf(s, m) < p) lo = m + 1; else hi = m; }
    return lo;
  }
  function firstVisible(s, lane) {
    const e0 = eventAt(s, state.v0) - 1;
    return lowerBound(s.maxe, e0, lane.lo, lane.hi);
  }

  // ---------- picking ----------
  function rowAt(y) {
    const yy = y - AXIS_H + state.scrollY;
    for (const r of rows) if (yy >= r.y && yy < r.y + r.h) return r;
    return null;
  }
  function pick(x, y) {
    if (y < AXIS_H) return null;
    const r = rowAt(y);
    if (!r) return null;
    const s = r.s;
    if (r.type === 'group') return null;
    if (x < GUTTER) return r.type === 'lane' ? { kind: 'lane', s: s, li: r.li } : { kind: 'session', s: s };
    const marks = r.type === 'lane' ? r.lane.marks : s.globalMarks;
    let best = null, bestD = 5;
    for (const m of marks) {
      const d = Math.abs(X(pos(s, s.marks.e[m])) - x);
      if (d < bestD) { best = { kind: 'mark', s: s, i: m }; bestD = d; }
    }
    if (r.type === 'session') return best || { kind: 'session', s: s };
    const lane = r.lane;
    const p = unX(x), tol = 3 * (state.v1 - state.v0) / plotW();
    const e0 = eventAt(s, p - tol) - 1;
    let hit = null, hitD = Infinity;
    for (let i = lowerBound(s.maxe, e0, lane.lo, lane.hi); i < lane.hi; i++) {
      const a = pos(s, s.xs[i]), b = pos(s, s.xe[i]);
      if (a > p + tol) break;
      if (p >= a - tol && p <= b + tol) {
        const d = p < a ? a - p : p > b ? p - b : 0;
        if (d < hitD) { hit = i; hitD = d; }
      }
    }
    if (best && (hit === null || bestD < 2)) return best;
    return hit !== null ? { kind: 'x', s: s, i: hit } : { kind: 'lane', s: s, li: r.li };
  }

  // ---------- details ----------
  const details = document.getElementById('details');
  function esc(t) { return String(t).replace(/[&<>"]/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]; }); }
  function hex2(c) { return (c < 16 ? '0' : '') + c.toString(16); }
  function bytesText(h) {  // escaped text, line breaks kept after \n
    let out = '';
    for (let i = 0; i < h.length; i++) {
      const c = h.charCodeAt(i);
      if (c === 10) out += '<span class="esc">\\n</span>\n';
      else if (c === 13) out += '<span class="esc">\\r</span>';
      else if (c === 9) out += '<span class="esc">\\t</span>';
      else if (c === 92) out += '\\\\';
      else if (c >= 32 && c < 127) out += esc(h[i]);
      else out += '<span class="esc">\\x' + hex2(c) + '</span>';
    }
    return out;
  }
  function bytesHex(h) {
    let out = '';
    for (let i = 0; i < h.length; i += 16) {
      let hx = '', tx = '';
      for (let j = i; j < i + 16; j++) {
        if (j < h.length) { const c = h.charCodeAt(j); hx += hex2(c) + ' '; tx += c >= 32 && c < 127 ? h[j] : '.'; } else hx += '   ';
        if (j === i + 7) hx += ' ';
      }
      out += ('0000' + i.toString(16)).slice(-4) + '  ' + hx + ' ' + esc(tx) + '\n';
    }
    return out;
  }
  function looksBinary(h) {
    let bad = 0;
    for (let i = 0; i < h.length; i++) { const c = h.charCodeAt(i); if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || c >= 127) bad++; }
    return bad > h.length / 8;
  }
  let byteMode = 'auto';
  function bytesBlock(id, h, total, s, event, queued) {
    if (!h && total > 0) {
      return '<div class="note" id="' + id + '">' + total.toLocaleString('en-US') + ' bytes, not kept in this page (a large session keeps only some); ' +
        (queued ? 'the replay that wrote this page regenerated them at event ' + event
          : '<code>lxdump ' + esc(shellQuote(s.log)) + ' ' + event + '</code> prints what arrived at event ' + event) + '</div>';
    }
    const hexMode = byteMode === 'hex' || (byteMode === 'auto' && looksBinary(h));
    let html = '<pre class="bytes" id="' + id + '">' + (hexMode ? bytesHex(h) : bytesText(h)) + '</pre>';
    if (total > h.length) html += '<div class="note">the first ' + h.length + ' of ' + total.toLocaleString('en-US') + ' bytes</div>';
    return html;
  }
  function shellQuote(t) { return /^[A-Za-z0-9_\/.,:=+-]+$/.test(t) ? t : "'" + t.replace(/'/g, "'\\''") + "'"; }
  function command(s, n, what) {
    const cmd = 'lxreplay ' + shellQuote(s.log) + ' --at ' + n + ' --dump-state';
    return '<div class="note">' + what + '</div><div class="cmd"><code>' + esc(cmd) + '</code><button type="button" data-copy="' + esc(cmd) + '">copy</button></div>';
  }
  function timeOf(s, e) {
    const t = recordedClock(s, e);
    if (t === null) return 'no clock in the log';
    if (typeof t !== 'number') return 'not a number';
    const rel = t - s.t0;
    let iso = '';
    try { iso = new Date(t * 1000).toISOString().replace('T', ' ').replace('Z', ' UTC'); } catch (err) { iso = String(t); }
    return iso + ' <span class="note">(+' + rel.toFixed(3) + ' s)</span>';
  }
  function evRange(f, i) {
    if (!f || !f.first[i]) return '\u2014';
    const a = f.first[i], b = f.last[i], n = f.n[i];
    return (a === b ? '#' + a : '#' + a + ' \u2013 #' + b) + ' <span class="note">(' + n + ' event' + (n === 1 ? '' : 's') + ', ' + f.bytes[i].toLocaleString('en-US') + ' B)</span>';
  }
  function tabs() {
    return '<span class="tabs">' + ['auto', 'text', 'hex'].map(function (m) {
      return '<button type="button" data-bytes="' + m + '" class="' + (byteMode === m ? 'on' : '') + '">' + m + '</button>';
    }).join('') + '</span>';
  }
  function showExchange(s, i) {
    const lane = s.lanes[s.xl[i]];
    const k = i - lane.lo + 1;
    const out = lane.kind === 2;
    const reqF = out ? s.fq : s.fin, repF = out ? s.fin : s.fq;
    const reqName = out ? 'Request (queued by the app)' : 'Request (received)';
    const repName = out ? 'Reply (received)' : 'Reply (queued by the app)';
    let html = '<h2 id="d-title">' + esc(laneLabel(lane)) + ' \u00b7 exchange ' + k + ' of ' + (lane.hi - lane.lo) + '</h2>';
    html += answered(s, i) ? '<span class="pill ' + (s.regenerated ? 'ok' : 'counts') + '">answered</span>' : '<span class="pill open">no reply</span>';
    html += '<table>';
    html += '<tr><td>events</td><td id="d-events">#' + s.xs[i] + ' \u2013 #' + s.xe[i] + '</td></tr>';
    html += '<tr><td>' + (out ? 'sent by app' : 'request') + '</td><td>' + evRange(out ? s.fo : s.fin, i) + '</td></tr>';
    if (s.fq) html += '<tr><td>reply queued</td><td>' + evRange(s.fq, i) + '</td></tr>';
    html += '<tr><td>' + (out ? 'answer' : 'reply sent') + '</td><td>' + evRange(out ? s.fin : s.fo, i) + '</td></tr>';
    html += '<tr><td>starts</td><td>' + timeOf(s, s.xs[i]) + '</td></tr>';
    html += '<tr><td>ends</td><td>' + timeOf(s, s.xe[i]) + '</td></tr>';
    const t0 = recordedClock(s, s.xs[i]), t1 = recordedClock(s, s.xe[i]);
    if (typeof t0 === 'number' && typeof t1 === 'number') html += '<tr><td>took</td><td>' + ((t1 - t0) * 1000).toFixed(1) + ' ms <span class="note">(recorded clock, one tick apart at best)</span></td></tr>';
    html += '</table>';
    html += '<h3>' + reqName + tabs() + '</h3>';
    const reqHead = flowHead(s, reqF, i);
    if (reqF && reqF.first[i]) html += bytesBlock('d-request', reqHead, reqF.bytes[i], s, reqF.first[i], out);
    else if (out && s.fo && s.fo.first[i]) html += '<div class="note" id="d-request">' + s.fo.bytes[i] + ' bytes sent; not regenerated: the log keeps only the count (lxreplay --timeline regenerates it)</div>';
    else html += '<div class="note" id="d-request">none</div>';
    html += '<h3>' + repName + '</h3>';
    if (repF && repF.first[i]) {
      html += bytesBlock('d-reply', flowHead(s, repF, i), repF.bytes[i], s, repF.first[i], !out);
    } else if (!out && s.fo && s.fo.first[i]) {
      html += '<div class="note" id="d-reply">' + s.fo.bytes[i].toLocaleString('en-US') + ' bytes sent (sent_outgoing); not regenerated: the log keeps only the count of reply bytes. <code>lxreplay --timeline</code> regenerates replies.</div>';
    } else {
      html += '<div class="note" id="d-reply">no reply before the ' + (answered(s, i) ? 'next request' : 'end of the log or the close') + '</div>';
    }
    html += '<h3>The app\'s state there</h3>';
    const lastIn = reqF && reqF.first[i] ? reqF.last[i] : s.xs[i];
    html += '<div id="d-command">' + command(s, lastIn, 'right after the request arrived (before the app answered):') +
      command(s, s.xe[i], 'after the reply was sent:') + '</div>';
    details.innerHTML = html;
  }
  function showMark(s, m) {
    const k = s.marks.k[m], e = s.marks.e[m], l = s.marks.l[m];
    let html = '<h2 id="d-title">' + esc(MARK[k]) + ' at #' + e + '</h2><table>';
    if (l >= 0) html += '<tr><td>channel</td><td>' + esc(laneLabel(s.lanes[l])) + '</td></tr>';
    html += '<tr><td>time</td><td>' + timeOf(s, e) + '</td></tr></table>';
    const text = s.texts[s.marks.t[m]] || '';
    html += k === MK.divergence ? '<h3>Report</h3><pre class="bytes report">' + esc(text) + '</pre>' : '<p>' + esc(text) + '</p>';
    html += '<h3>The app\'s state there</h3>' + command(s, e, 'the state right after event ' + e + ':');
    details.innerHTML = html;
  }
  function showLane(s, li) {
    const lane = s.lanes[li];
    let html = '<h2 id="d-title">' + esc(laneLabel(lane)) + '</h2><table>';
    html += '<tr><td>kind</td><td>' + KIND[lane.kind] + '</td></tr>';
    html += '<tr><td>events</td><td>#' + lane.first + ' \u2013 #' + lane.last + '</td></tr>';
    html += '<tr><td>exchanges</td><td>' + (lane.hi - lane.lo) + '</td></tr>';
    html += '<tr><td>bytes in</td><td>' + lane.bytesIn.toLocaleString('en-US') + '</td></tr>';
    html += '<tr><td>bytes sent</td><td>' + lane.bytesSent.toLocaleString('en-US') + '</td></tr>';
    html += '<tr><td>opened</td><td>' + timeOf(s, lane.first) + '</td></tr>';
    html += '<tr><td>last event</td><td>' + timeOf(s, lane.last) + '</td></tr></table>';
    if (lane.marks.length) {
      html += '<h3>Marks</h3><ul>';
      for (const m of lane.marks.slice(0, 50)) html += '<li>#' + s.marks.e[m] + ' ' + esc(MARK[s.marks.k[m]]) + '</li>';
      html += '</ul>';
    }
    details.innerHTML = html;
  }
  function showSummary() {
    let html = '';
    for (const s of sessions) {
      html += '<h2>' + esc((s.name ? s.name + ': ' : '') + s.title) + '</h2><table>';
      html += '<tr><td>log</td><td>' + esc(s.log) + '</td></tr>';
      if (s.sub) html += '<tr><td>recorded</td><td>' + esc(s.sub) + '</td></tr>';
      html += '<tr><td>events</td><td>' + s.events.toLocaleString('en-US') + '</td></tr>';
      html += '<tr><td>lanes</td><td>' + s.lanes.length + '</td></tr>';
      html += '<tr><td>exchanges</td><td>' + s.count.toLocaleString('en-US') + '</td></tr>';
      html += '<tr><td>update() calls</td><td>' + s.updates.length.toLocaleString('en-US') + '</td></tr>';
      html += '<tr><td>replies</td><td>' + (s.regenerated ? 'regenerated by replay' : 'byte counts only: the log keeps no reply bytes; <code>lxreplay --timeline</code> regenerates them') + '</td></tr>';
      if (s.headCap < 256 || s.headEvery > 1) html += '<tr><td>bytes kept</td><td>the first ' + s.headCap + ' of ' + (s.headEvery > 1 ? 'each repeated request or reply, and of one in ' + s.headEvery + ' of the others' : 'each request and reply') + ' (a large session)</td></tr>';
      html += '</table>';
    }
    if (page.notes && page.notes.length) {
      html += '<h3>Marked</h3><ul>';
      for (const n of page.notes) html += '<li><b>' + esc(n.label) + '</b> #' + n.event + (n.text ? ': ' + esc(n.text) : '') + '</li>';
      html += '</ul>';
    }
    if (page.list && page.list.length) {
      html += '<h3>' + esc(page.listTitle || 'Notes') + '</h3><ul id="d-list">';
      for (const item of page.list) html += '<li><code>' + esc(item) + '</code></li>';
      html += '</ul>';
    }
    html += '<h3>Legend</h3><div class="legend">' +
      '<span><i style="background:' + C.box + '"></i>reply regenerated</span>' +
      '<span><i style="background:' + C.boxCounts + '"></i>reply counted</span>' +
      '<span><i style="background:#fff7e6;border:1px solid ' + C.open + '"></i>no reply</span>' +
      '<span><i style="background:' + C.accept + '"></i>accept</span>' +
      '<span><i style="background:' + C.half + '"></i>half-close</span>' +
      '<span><i style="background:' + C.close + '"></i>close</span>' +
      '<span><i style="background:' + C.checkpoint + '"></i>checkpoint</span>' +
      '<span><i style="background:' + C.snapshot + '"></i>snapshot</span>' +
      '<span><i style="background:' + C.update + '"></i>update()</span>' +
      '<span><i style="background:' + C.divergence + '"></i>divergence</span></div>';
    html += '<p class="note">Click a box or a mark for its details. Keys: press <b>?</b>.</p>';
    details.innerHTML = html;
  }
  function showSelection() {
    const sel = state.sel;
    if (!sel) showSummary();
    else if (sel.kind === 'x') showExchange(sel.s, sel.i);
    else if (sel.kind === 'mark') showMark(sel.s, sel.i);
    else if (sel.kind === 'lane') showLane(sel.s, sel.li);
    else showSummary();
  }
  function select(sel, reveal) {
    state.sel = sel;
    showSelection();
    if (reveal && sel) revealSelection();
    draw();
  }
  function revealSelection() {
    const sel = state.sel, s = sel.s;
    let a, b, li = -1;
    if (sel.kind === 'x') { a = s.xs[sel.i]; b = s.xe[sel.i]; li = s.xl[sel.i]; }
    else if (sel.kind === 'mark') { a = b = s.marks.e[sel.i]; li = s.marks.l[sel.i]; }
    else if (sel.kind === 'lane') { a = s.lanes[sel.li].first; b = s.lanes[sel.li].last; li = sel.li; }
    else return;
    const pa = pos(s, a), pb = pos(s, b);
    const span = state.v1 - state.v0;
    if (sel.kind === 'lane') { const pad = Math.max(1, (pb - pa) * 0.05); state.v0 = pa - pad; state.v1 = pb + pad; }
    else if (pa < state.v0 || pb > state.v1 || (pb - pa) < span / 200) {
      const want = Math.max((pb - pa) * 8, state.axis === 'time' ? 20000 : 40);
      const mid = (pa + pb) / 2; state.v0 = mid - want / 2; state.v1 = mid + want / 2;
    }
    if (li >= 0) {
      const r = rows.find(function (row) { return row.s === s && row.type === 'lane' && row.li === li; });
      const visH = state.height - AXIS_H;
      if (r.y < state.scrollY || r.y + r.h > state.scrollY + visH) state.scrollY = Math.max(0, r.y - visH / 3);
    }
  }

  details.addEventListener('click', function (ev) {
    const t = ev.target;
    if (t.dataset.copy) {
      const done = function () { t.textContent = 'copied'; setTimeout(function () { t.textContent = 'copy'; }, 1200); };
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(t.dataset.copy).then(done, function () {});
      else { const r = document.createRange(); r.selectNodeContents(t.previousSibling); const w = getSelection(); w.removeAllRanges(); w.addRange(r); }
    }
    if (t.dataset.bytes) { byteMode = t.dataset.bytes; showSelection(); }
  });

  // ---------- search ----------
  const searchBox = document.getElementById('search');
  const searchStatus = document.getElementById('search-status');
  function findEvent(n) {
    for (const s of sessions) {
      for (let li = 0; li < s.lanes.length; li++) {
        const lane = s.lanes[li];
        for (let i = lowerBound(s.maxe, n, lane.lo, lane.hi); i < lane.hi && s.xs[i] <= n; i++) {
          if (s.xs[i] <= n && n <= s.xe[i]) return { kind: 'x', s: s, i: i };
        }
      }
      for (let m = 0; m < s.marks.e.length; m++) if (s.marks.e[m] === n) return { kind: 'mark', s: s, i: m };
    }
    return null;
  }
  function search(text) {
    text = text.trim();
    state.matches = []; state.matchAt = -1;
    if (!text) { searchStatus.textContent = ''; return 0; }
    let m = /^#?(\d+)$/.exec(text);
    if (m) {
      const n = Number(m[1]);
      const hit = findEvent(n);
      if (hit) {
        state.matches = [hit];
        const what = hit.kind === 'x' ? 'in ' + laneLabel(hit.s.lanes[hit.s.xl[hit.i]]) : MARK[hit.s.marks.k[hit.i]];
        searchStatus.textContent = 'event ' + n + ': ' + what;
      } else {
        const s = sessions[0];
        const isUpdate = s.updates[lowerBound(s.updates, n)] === n;
        const isClock = s.clockE[lowerBound(s.clockE, n)] === n;
        searchStatus.textContent = n > s.events ? 'event ' + n + ': past the end (' + s.events + ')' :
          'event ' + n + ': ' + (isUpdate ? 'an update() call' : isClock ? 'a set_clock' : 'on no exchange');
        const p = pos(s, n), span = state.v1 - state.v0;
        state.v0 = p - span / 2; state.v1 = p + span / 2;
        select(null, false);
        return 0;
      }
    } else if ((m = /^(?:ch|chid|c)\s*[:=]?\s*(\d+)$/i.exec(text))) {
      const chid = Number(m[1]);
      for (const s of sessions) s.lanes.forEach(function (lane, li) { if (lane.chid === chid) state.matches.push({ kind: 'lane', s: s, li: li }); });
      searchStatus.textContent = state.matches.length ? 'channel ' + chid : 'no channel ' + chid;
    } else {
      for (const s of sessions) {
        const hit = new Set();
        s.heads.forEach(function (h, k) { if (h.indexOf(text) >= 0) hit.add(k + 1); });
        if (hit.size === 0) continue;
        for (let i = 0; i < s.count; i++) {
          if ((s.fin && s.fin.head && hit.has(s.fin.head[i])) || (s.fq && s.fq.head && hit.has(s.fq.head[i]))) state.matches.push({ kind: 'x', s: s, i: i });
        }
      }
      searchStatus.textContent = state.matches.length ? state.matches.length + ' exchange' + (state.matches.length === 1 ? '' : 's') : 'no bytes match';
    }
    if (state.matches.length) nextMatch();
    else draw();
    return state.matches.length;
  }
  function nextMatch() {
    if (!state.matches.length) return;
    state.matchAt = (state.matchAt + 1) % state.matches.length;
    if (state.matches.length > 1) {
      const base = searchStatus.textContent.replace(/ \(\d+ of \d+\)$/, '');
      searchStatus.textContent = base + ' (' + (state.matchAt + 1) + ' of ' + state.matches.length + ')';
    }
    select(state.matches[state.matchAt], true);
  }
  let lastSearch = '';
  searchBox.addEventListener('keydown', function (ev) {
    if (ev.key === 'Enter') {
      if (searchBox.value === lastSearch && state.matches.length) nextMatch();
      else { lastSearch = searchBox.value; search(searchBox.value); }
      ev.preventDefault();
    } else if (ev.key === 'Escape') { searchBox.blur(); }
    ev.stopPropagation();
  });

  // ---------- input ----------
  let drag = null;
  canvas.addEventListener('mousedown', function (ev) {
    drag = { x: ev.clientX, y: ev.clientY, moved: false };
    canvas.classList.add('dragging');
  });
  window.addEventListener('mousemove', function (ev) {
    const rect = canvas.getBoundingClientRect();
    if (drag) {
      const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 2) drag.moved = true;
      if (drag.moved) {
        drag.x = ev.clientX; drag.y = ev.clientY;
        state.scrollY = Math.max(0, Math.min(Math.max(0, rowsHeight - (state.height - AXIS_H)), state.scrollY - dy));
        pan(dx);
      }
      return;
    }
    hoverTip(ev.clientX - rect.left, ev.clientY - rect.top);
  });
  window.addEventListener('mouseup', function (ev) {
    if (!drag) return;
    const moved = drag.moved;
    drag = null;
    canvas.classList.remove('dragging');
    if (!moved) {
      const rect = canvas.getBoundingClientRect();
      const hit = pick(ev.clientX - rect.left, ev.clientY - rect.top);
      if (ev.target === canvas) select(hit && hit.kind !== 'session' ? hit : null, false);
    }
  });
  canvas.addEventListener('wheel', function (ev) {
    ev.preventDefault();
    const rect = canvas.getBoundingClientRect();
    if (ev.shiftKey) { scrollBy(ev.deltaY); return; }
    if (Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) { pan(-ev.deltaX); return; }
    zoomAt(ev.clientX - rect.left, Math.pow(1.0015, ev.deltaY));
  }, { passive: false });
  const tip = document.getElementById('tip');
  function hoverTip(x, y) {
    const hit = pick(x, y);
    if (!hit || hit.kind === 'session' || hit.kind === 'lane') { tip.hidden = true; return; }
    const s = hit.s;
    let text;
    if (hit.kind === 'x') {
      const name = spanName(s, hit.i);
      text = (name || 'exchange') + '\n#' + s.xs[hit.i] + ' \u2013 #' + s.xe[hit.i];
    } else {
      text = MARK[s.marks.k[hit.i]] + ' #' + s.marks.e[hit.i] + '\n' + firstLine(s.texts[s.marks.t[hit.i]] || '');
    }
    tip.textContent = text;
    tip.hidden = false;
    tip.style.left = Math.min(x + 14, state.width - 300) + 'px';
    tip.style.top = (y + 16) + 'px';
  }
  canvas.addEventListener('mouseleave', function () { tip.hidden = true; });
  window.addEventListener('keydown', function (ev) {
    if (ev.target === searchBox) return;
    const w = plotW();
    switch (ev.key) {
      case '+': case '=': zoomAt(GUTTER + w / 2, 0.6); break;
      case '-': case '_': zoomAt(GUTTER + w / 2, 1 / 0.6); break;
      case 'ArrowLeft': pan(w * 0.15); break;
      case 'ArrowRight': pan(-w * 0.15); break;
      case 'ArrowUp': scrollBy(-ROW_LANE * 3); break;
      case 'ArrowDown': scrollBy(ROW_LANE * 3); break;
      case 'PageUp': scrollBy(-(state.height - AXIS_H) * 0.9); break;
      case 'PageDown': scrollBy((state.height - AXIS_H) * 0.9); break;
      case '0': case 'Home': fit(); break;
      case 'e': toggleAxis(); break;
      case 'n': nextMatch(); break;
      case '/': searchBox.focus(); searchBox.select(); break;
      case '?': toggleHelp(); break;
      case 'Escape': select(null, false); document.getElementById('help').hidden = true; break;
      default: return;
    }
    ev.preventDefault();
  });
  function toggleAxis() {
    if (two) return;
    const s = sessions[0];
    const e0 = eventAt(s, state.v0), e1 = eventAt(s, state.v1);
    state.axis = state.axis === 'time' ? 'event' : 'time';
    state.v0 = pos(s, e0); state.v1 = Math.max(state.v0 + 1, pos(s, e1));
    axisButton.textContent = 'axis: ' + state.axis;
    draw();
  }
  function toggleHelp() { const h = document.getElementById('help'); h.hidden = !h.hidden; }
  const axisButton = document.getElementById('axis-toggle');
  axisButton.textContent = 'axis: ' + state.axis;
  axisButton.disabled = two;
  axisButton.addEventListener('click', toggleAxis);
  document.getElementById('fit').addEventListener('click', fit);
  document.getElementById('help-toggle').addEventListener('click', toggleHelp);
  window.addEventListener('resize', function () { resize(); draw(); });

  // ---------- status and start ----------
  const app = document.getElementById('app');
  const statusEl = document.getElementById('status');
  function statusLine() {
    const st = state.stats;
    let lanes = 0, xs = 0;
    for (const s of sessions) { lanes += s.lanes.length; xs += s.count; }
    statusEl.textContent = lanes + ' lanes, ' + xs.toLocaleString('en-US') + ' exchanges \u00b7 in view: ' +
      st.boxes + ' boxes, ' + st.columns + ' merged columns \u00b7 ' + (state.axis === 'time' ? 'recorded clock' : 'event numbers') +
      (sessions[0].regenerated ? '' : ' \u00b7 replies as byte counts (not regenerated)');
  }
  document.getElementById('title').textContent = page.title;
  document.getElementById('subtitle').textContent = two ? sessions.map(function (s) { return s.name + ': ' + s.log; }).join('  vs  ') : (sessions[0].sub || '');
  resize();
  fit();
  showSummary();
  let lanes = 0, exchanges = 0;
  for (const s of sessions) { lanes += s.lanes.length; exchanges += s.count; }
  app.dataset.lanes = String(lanes);
  app.dataset.exchanges = String(exchanges);
  app.dataset.ready = '1';
  // For tests and for the curious: counts, and the calls the UI makes.
  window.lxTimeline = {
    lanes: lanes, exchanges: exchanges, sessions: sessions.length,
    readyMs: performance.now(), scriptMs: performance.now() - t_start,
    stats: function () { return Object.assign({}, state.stats); },
    search: search, fit: fit, toggleAxis: toggleAxis,
    // Screen position (canvas coordinates) of exchange i of session si, scrolled into view.
    boxPoint: function (si, i) {
      const s = sessions[si];
      select({ kind: 'x', s: s, i: i }, true); select(null, false);
      const r = rows.find(function (row) { return row.s === s && row.type === 'lane' && row.li === s.xl[i]; });
      const x0 = X(pos(s, s.xs[i])), x1 = Math.max(x0 + 3, X(pos(s, s.xe[i])));
      return { x: (x0 + x1) / 2, y: AXIS_H + r.y - state.scrollY + r.h / 2 };
    },
    selected: function () {
      const sel = state.sel;
      if (!sel) return null;
      return { kind: sel.kind, session: sel.s.index, index: sel.kind === 'lane' ? sel.li : sel.i };
    },
  };
})();
