/**
 * The dashboard's script, run by the browser (not by Node): it fetches `dashboard/data` (the
 * retraining status of every served model, as GET /retraining/status builds it) every minute
 * while the page is visible and draws one section per model with uPlot. Every text from the data
 * goes through `textContent` and canvas text, never through HTML. Charts carry `data-points`
 * (and the other counts) of what they drew, for the tests.
 *
 * Written as plain ES2020 in a string so the swc build ships it without a copy step; it has no
 * backtick or dollar-brace of its own.
 */
export const DASHBOARD_SCRIPT = String.raw`
(function () {
  'use strict';

  var REFRESH_MS = 60000;
  var DAY_S = 86400;
  var CHART_HEIGHT = 220;
  var COLORS = {
    realized: '#0969da',
    realizedBand: 'rgba(9, 105, 218, 0.15)',
    estimated: '#bf8700',
    estimatedBand: 'rgba(191, 135, 0, 0.18)',
    threshold: '#cf222e',
    coverage: '#1a7f37',
    promotion: '#8250df',
    rollback: '#cf222e',
    grid: 'rgba(0, 0, 0, 0.07)',
  };
  var WORDS = {
    OK: 'OK: accuracy meets the threshold',
    WATCH: 'WATCH: an early warning, nothing is retrained',
    RETRAIN: 'RETRAIN: the model should be retrained',
    INSUFFICIENT_DATA: 'INSUFFICIENT_DATA: too few labels to judge',
  };

  var charts = [];
  var timer = null;
  var inFlight = false;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function append(parent) {
    for (var i = 1; i < arguments.length; i++) if (arguments[i]) parent.appendChild(arguments[i]);
    return parent;
  }

  function pct(value) {
    return value === null || value === undefined || !isFinite(value)
      ? '–'
      : (100 * value).toFixed(1) + '%';
  }

  function when(iso) {
    if (!iso) return '–';
    var d = new Date(iso);
    return isNaN(d.getTime()) ? String(iso) : d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  }

  function dayStart(day) {
    return Date.parse(day + 'T00:00:00Z') / 1000;
  }

  function facts(pairs) {
    var dl = el('dl', 'facts');
    pairs.forEach(function (pair) {
      append(dl, el('dt', '', pair[0]), el('dd', '', pair[1]));
    });
    return dl;
  }

  function panel(title) {
    var section = el('section', 'panel');
    append(section, el('h3', '', title));
    return section;
  }

  function legend(items) {
    var ul = el('ul', 'legend');
    items.forEach(function (item) {
      append(ul, el('li', item[0], item[1]));
    });
    return ul;
  }

  function utcDate(ts) {
    return uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC');
  }

  // The days the evaluation covers, oldest first; each point sits at noon of its UTC day.
  function dailyOf(status) {
    var estimation = status.latest && status.latest.estimation;
    var daily = (estimation && estimation.daily) || [];
    return daily.slice().sort(function (a, b) {
      return a.day < b.day ? -1 : a.day > b.day ? 1 : 0;
    });
  }

  function chartWidth(container) {
    return Math.max(200, Math.floor(container.clientWidth));
  }

  function makeChart(container, options, data) {
    options.width = chartWidth(container);
    options.height = CHART_HEIGHT;
    options.tzDate = utcDate;
    options.legend = { show: false };
    var chart = new uPlot(options, data, container);
    charts.push({ chart: chart, container: container });
    return chart;
  }

  function xRange(days) {
    return function () {
      return [dayStart(days[0].day), dayStart(days[days.length - 1].day) + DAY_S];
    };
  }

  var percentAxis = {
    values: function (u, values) {
      return values.map(function (v) {
        return Math.round(v * 100) + '%';
      });
    },
    grid: { stroke: COLORS.grid },
    size: 52,
  };
  var timeAxis = { grid: { stroke: COLORS.grid }, space: 60 };

  function accuracyChart(status) {
    var section = panel('Accuracy per UTC day');
    var container = el('div', 'chart');
    container.dataset.chart = 'accuracy';
    append(section, container);
    var days = dailyOf(status);
    var estimation = status.latest && status.latest.estimation;
    var unlabelled = new Set((estimation && estimation.unlabelledDays.days) || []);
    if (days.length === 0) {
      container.dataset.points = '0';
      container.dataset.realized = '0';
      container.dataset.estimated = '0';
      container.dataset.markers = '0';
      append(container, el('p', 'empty', 'No predictions evaluated yet.'));
      return section;
    }
    var xs = days.map(function (d) {
      return dayStart(d.day) + DAY_S / 2;
    });
    var realized = function (key) {
      return days.map(function (d) {
        return d.realized ? d.realized[key] : null;
      });
    };
    var estimated = function (key) {
      return days.map(function (d) {
        return unlabelled.has(d.day) && d.estimated ? d.estimated.accuracy[key] : null;
      });
    };
    var data = [
      xs,
      realized('accuracy'),
      realized('low'),
      realized('high'),
      estimated('value'),
      estimated('low'),
      estimated('high'),
      days.map(function () {
        return status.threshold;
      }),
    ];
    var count = function (series) {
      return series.filter(function (v) {
        return v !== null;
      }).length;
    };
    container.dataset.points = String(xs.length);
    container.dataset.realized = String(count(data[1]));
    container.dataset.estimated = String(count(data[4]));
    var range = xRange(days);
    var promotions = (status.promotions || []).map(function (p) {
      return { at: Date.parse(p.at) / 1000, kind: p.kind };
    });
    var band = { stroke: 'transparent', width: 0, points: { show: false } };
    makeChart(
      container,
      {
        scales: { x: { time: true, range: range }, y: { range: [0, 1] } },
        axes: [timeAxis, percentAxis],
        series: [
          {},
          { label: 'realized', stroke: COLORS.realized, width: 2, points: { show: true, size: 5 } },
          Object.assign({ label: 'realized low' }, band),
          Object.assign({ label: 'realized high' }, band),
          {
            label: 'estimated',
            stroke: COLORS.estimated,
            width: 2,
            dash: [6, 4],
            points: { show: true, size: 5 },
          },
          Object.assign({ label: 'estimated low' }, band),
          Object.assign({ label: 'estimated high' }, band),
          { label: 'threshold', stroke: COLORS.threshold, width: 1, dash: [4, 4], points: { show: false } },
        ],
        bands: [
          { series: [3, 2], fill: COLORS.realizedBand },
          { series: [6, 5], fill: COLORS.estimatedBand },
        ],
        hooks: {
          // Promotions and rollbacks during the days shown, as vertical markers.
          draw: [
            function (u) {
              var ratio = window.devicePixelRatio || 1;
              var limits = range();
              var drawn = 0;
              var ctx = u.ctx;
              promotions.forEach(function (p) {
                if (!(p.at >= limits[0] && p.at <= limits[1])) return;
                var x = Math.round(u.valToPos(p.at, 'x', true));
                var color = p.kind === 'rollback' ? COLORS.rollback : COLORS.promotion;
                ctx.save();
                ctx.strokeStyle = color;
                ctx.fillStyle = color;
                ctx.lineWidth = 2 * ratio;
                ctx.setLineDash([3 * ratio, 3 * ratio]);
                ctx.beginPath();
                ctx.moveTo(x, u.bbox.top);
                ctx.lineTo(x, u.bbox.top + u.bbox.height);
                ctx.stroke();
                ctx.font = 11 * ratio + 'px sans-serif';
                ctx.textAlign = x > u.bbox.left + u.bbox.width / 2 ? 'right' : 'left';
                ctx.fillText(
                  p.kind === 'rollback' ? 'rollback' : 'promotion',
                  x + (ctx.textAlign === 'right' ? -4 : 4) * ratio,
                  u.bbox.top + 12 * ratio,
                );
                ctx.restore();
                drawn++;
              });
              container.dataset.markers = String(drawn);
            },
          ],
        },
      },
      data,
    );
    append(
      section,
      legend([
        ['realized', 'realized (95% interval)'],
        ['estimated', 'estimated, days without labels (±3 SE)'],
        ['threshold', 'threshold ' + pct(status.threshold)],
        ['promotion', 'promotion'],
        ['rollback', 'rollback'],
      ]),
    );
    return section;
  }

  function coverageChart(status) {
    var section = panel('Label coverage per UTC day');
    var container = el('div', 'chart');
    container.dataset.chart = 'coverage';
    append(section, container);
    var days = dailyOf(status);
    container.dataset.points = String(days.length);
    if (days.length === 0) {
      append(container, el('p', 'empty', 'No predictions evaluated yet.'));
      return section;
    }
    var xs = days.map(function (d) {
      return dayStart(d.day) + DAY_S / 2;
    });
    var coverage = days.map(function (d) {
      return d.predictions > 0 ? d.labelled / d.predictions : 0;
    });
    makeChart(
      container,
      {
        scales: { x: { time: true, range: xRange(days) }, y: { range: [0, 1] } },
        axes: [timeAxis, percentAxis],
        series: [
          {},
          {
            label: 'labelled',
            stroke: COLORS.coverage,
            fill: 'rgba(26, 127, 55, 0.35)',
            width: 1,
            paths: uPlot.paths.bars({ size: [0.8, 40] }),
            points: { show: false },
          },
        ],
      },
      [xs, coverage],
    );
    append(section, el('p', 'note', 'labelled predictions / all predictions of the day'));
    return section;
  }

  function psiBars(status) {
    var section = panel('Drift: PSI per feature');
    var container = el('div', 'chart');
    container.dataset.chart = 'psi';
    append(section, container);
    var drift = status.latest && status.latest.drift;
    var features = ((drift && drift.features) || []).slice().sort(function (a, b) {
      return b.psi - a.psi;
    });
    container.dataset.bars = String(features.length);
    if (features.length === 0) {
      append(container, el('p', 'empty', (drift && drift.note) || 'No drift computed yet.'));
      return section;
    }
    var limits = status.driftThresholds;
    var top = Math.max(limits.significant * 1.5, features[0].psi);
    var at = function (value) {
      return Math.min(100, (100 * value) / top) + '%';
    };
    var list = el('ol', 'psi');
    features.forEach(function (f) {
      var li = el('li');
      li.dataset.level = f.level;
      var track = el('span', 'track');
      var bar = el('span', 'bar ' + f.level);
      bar.style.width = at(f.psi);
      var moderate = el('span', 'limit moderate');
      moderate.style.left = at(limits.moderate);
      var significant = el('span', 'limit significant');
      significant.style.left = at(limits.significant);
      append(track, bar, moderate, significant);
      append(li, el('span', 'name', f.feature), track, el('span', 'value', f.psi.toFixed(3)));
      li.title = f.feature + ': PSI ' + f.psi + ' (' + f.level + ')';
      append(list, li);
    });
    append(container, list);
    append(
      section,
      el(
        'p',
        'note',
        'worst first; dashed lines: moderate ' + limits.moderate + ', significant ' + limits.significant,
      ),
    );
    return section;
  }

  function shadowPanel(status) {
    var section = panel('Champion and shadow');
    var shadow = status.shadow;
    section.dataset.shadow = shadow ? 'yes' : 'no';
    if (!shadow) {
      append(section, el('p', 'empty', 'no shadow'));
      return section;
    }
    var l = shadow.labelled;
    var interval = function (a) {
      return pct(a.accuracy) + ' (95% CI ' + pct(a.interval.low) + '–' + pct(a.interval.high) + ')';
    };
    append(
      section,
      facts([
        ['champion', shadow.champion],
        ['shadow', shadow.shadow],
        ['since', when(shadow.since)],
        ['inputs both scored', String(shadow.inputs)],
        ['agreement', pct(shadow.agreement)],
        ['labelled', String(l.n)],
        ['champion accuracy', l.n ? interval(l.champion) : '–'],
        ['shadow accuracy', l.n ? interval(l.shadow) : '–'],
        [
          'shadow − champion',
          l.n
            ? (100 * l.difference.value).toFixed(1) +
              ' points (95% CI ' +
              (100 * l.difference.interval.low).toFixed(1) +
              ' to ' +
              (100 * l.difference.interval.high).toFixed(1) +
              ')'
            : '–',
        ],
        ['McNemar p', l.n ? String(Number(l.mcnemar.pValue.toPrecision(3))) : '–'],
      ]),
    );
    return section;
  }

  function recommendationPanel(status) {
    var section = panel('Recommendation');
    var badge = el('span', 'recommendation ' + status.recommendation, status.recommendation);
    badge.dataset.recommendation = status.recommendation;
    badge.title = WORDS[status.recommendation] || status.recommendation;
    append(section, badge);
    var reasons = el('ul', 'reasons');
    (status.reasons || []).forEach(function (reason) {
      append(reasons, el('li', '', reason));
    });
    append(section, reasons);
    var latest = status.latest;
    append(
      section,
      facts([
        ['evaluated', latest ? when(latest.evaluatedAt) : 'never'],
        ['accuracy', latest ? pct(latest.accuracy) : '–'],
        ['labelled', latest ? String(latest.labelled) : '–'],
        ['threshold', pct(status.threshold) + ' on at least ' + status.minLabelled + ' labels'],
        ['window', status.windowDays + ' days'],
        ['mode', status.mode],
      ]),
    );
    return section;
  }

  function runsPanel(status) {
    var section = panel('Job runs');
    append(
      section,
      facts([
        ['next run', status.nextRun ? when(status.nextRun) : 'not scheduled'],
        ['schedule', status.schedule ? status.schedule.cron + ' (' + status.schedule.timeZone + ')' : 'off'],
        ['running now', status.running ? 'yes' : 'no'],
      ]),
    );
    var runs = status.recentRuns || [];
    if (runs.length === 0) {
      append(section, el('p', 'empty', 'No run yet.'));
      return section;
    }
    var table = el('table');
    table.dataset.runs = String(runs.length);
    var head = el('tr');
    ['started', 'trigger', 'status', 'finished'].forEach(function (name) {
      append(head, el('th', '', name));
    });
    append(table, append(el('thead'), head));
    var body = el('tbody');
    runs.forEach(function (run) {
      var row = el('tr');
      append(
        row,
        el('td', '', when(run.startedAt)),
        el('td', '', run.trigger),
        el('td', 'status-' + run.status, run.status + (run.error ? ': ' + run.error : '')),
        el('td', '', when(run.finishedAt)),
      );
      append(body, row);
    });
    append(table, body);
    append(section, append(el('div', 'table-wrap'), table));
    return section;
  }

  function modelSection(status) {
    var section = el('section', 'model');
    section.dataset.model = status.model;
    var title = el('h2', '', status.model);
    append(title, el('span', 'version', 'serving ' + (status.serving || 'no version')));
    append(section, title);
    var grid = el('div', 'grid');
    append(
      grid,
      recommendationPanel(status),
      accuracyChart(status),
      coverageChart(status),
      psiBars(status),
      shadowPanel(status),
      runsPanel(status),
    );
    append(section, grid);
    return section;
  }

  function render(payload) {
    charts.forEach(function (entry) {
      entry.chart.destroy();
    });
    charts = [];
    var root = document.getElementById('models');
    root.replaceChildren();
    payload.models.forEach(function (status) {
      root.appendChild(modelSection(status));
    });
    // Built detached, the charts take their containers' width once on the page.
    resizeAll();
    var view = payload.models[0] ? payload.models[0].view : 'public';
    document.getElementById('view').textContent = view === 'full' ? 'full view ·' : 'public view ·';
    var updated = document.getElementById('updated');
    updated.textContent = 'updated at ' + when(payload.generatedAt);
    updated.dataset.generatedAt = payload.generatedAt;
  }

  function resizeAll() {
    charts.forEach(function (entry) {
      var width = chartWidth(entry.container);
      if (width !== entry.chart.width) entry.chart.setSize({ width: width, height: CHART_HEIGHT });
    });
  }

  function showError(message) {
    var error = document.getElementById('error');
    error.textContent = message;
    error.hidden = !message;
  }

  function refresh() {
    if (inFlight) return;
    inFlight = true;
    fetch('dashboard/data', { headers: { accept: 'application/json' } })
      .then(function (response) {
        if (!response.ok) {
          return response.text().then(function (text) {
            var detail = '';
            try {
              detail = JSON.parse(text).detail || '';
            } catch (ignored) {
              detail = '';
            }
            throw new Error('dashboard/data answered ' + response.status + (detail ? ': ' + detail : ''));
          });
        }
        return response.json();
      })
      .then(function (payload) {
        render(payload);
        showError('');
        document.body.dataset.state = 'ready';
      })
      .catch(function (error) {
        showError('Could not refresh: ' + error.message + ' (the figures shown may be old).');
        if (document.body.dataset.state === 'loading') document.body.dataset.state = 'failed';
      })
      .finally(function () {
        inFlight = false;
        schedule();
      });
  }

  // Polls only while the page is visible; coming back refreshes at once.
  function schedule() {
    clearTimeout(timer);
    timer = document.hidden ? null : setTimeout(refresh, REFRESH_MS);
  }

  document.addEventListener('visibilitychange', function () {
    if (document.hidden) {
      clearTimeout(timer);
      timer = null;
    } else if (timer === null) {
      refresh();
    }
  });

  var pending = 0;
  window.addEventListener('resize', function () {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(resizeAll);
  });

  refresh();
})();
`;
