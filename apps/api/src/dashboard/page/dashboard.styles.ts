/**
 * The dashboard's styles. Narrow first: one column on a phone, the charts two abreast from
 * 900 px. Nothing is wider than its container, so a 390 px viewport never scrolls sideways.
 */
export const DASHBOARD_STYLES = `
:root {
  --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa; --card: #fff;
  --ok: #1a7f37; --watch: #9a6700; --retrain: #cf222e; --none: #59636e;
  --realized: #0969da; --estimated: #bf8700; --threshold: #cf222e;
  --stable: #2da44e; --moderate: #d4a72c; --significant: #cf222e;
  color-scheme: light;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; padding: 0 12px 24px; background: var(--bg); color: var(--fg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  overflow-wrap: anywhere;
}
.top { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: 4px 16px; padding: 12px 0 4px; }
.top h1 { margin: 0; font-size: 20px; }
.meta { margin: 0; color: var(--muted); }
.error { background: #ffebe9; border: 1px solid #ff8182; border-radius: 6px; padding: 8px 12px; }
.model { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px; margin: 12px 0; min-width: 0; }
.model > h2 { margin: 0 0 8px; font-size: 18px; display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: baseline; }
.model > h2 .version { font-size: 13px; font-weight: normal; color: var(--muted); }
.grid { display: grid; grid-template-columns: minmax(0, 1fr); gap: 12px; }
@media (min-width: 900px) { .grid { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
.panel { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; min-width: 0; }
.panel h3 { margin: 0 0 6px; font-size: 14px; }
.panel .note { margin: 4px 0 0; color: var(--muted); font-size: 12px; }
.chart { width: 100%; min-height: 40px; overflow: hidden; }
.empty { color: var(--muted); font-style: italic; margin: 8px 0; }
.legend { list-style: none; margin: 6px 0 0; padding: 0; display: flex; flex-wrap: wrap; gap: 2px 12px; font-size: 12px; color: var(--muted); }
.legend li::before { content: ""; display: inline-block; width: 12px; height: 3px; margin-right: 4px; vertical-align: middle; background: currentColor; }
.legend .realized { color: var(--realized); }
.legend .estimated { color: var(--estimated); }
.legend .threshold { color: var(--threshold); }
.legend .promotion { color: #8250df; }
.legend .rollback { color: #cf222e; }
.recommendation { display: inline-block; padding: 2px 10px; border-radius: 999px; color: #fff; font-weight: 600; font-size: 13px; letter-spacing: .02em; }
.recommendation.OK { background: var(--ok); }
.recommendation.WATCH { background: var(--watch); }
.recommendation.RETRAIN { background: var(--retrain); }
.recommendation.INSUFFICIENT_DATA { background: var(--none); }
.reasons { margin: 6px 0 0; padding-left: 18px; }
.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 2px 12px; margin: 6px 0 0; font-size: 13px; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }
.psi { list-style: none; margin: 0; padding: 0; }
.psi li { display: grid; grid-template-columns: minmax(0, 9em) minmax(0, 1fr) 4.5em; gap: 8px; align-items: center; font-size: 12px; padding: 2px 0; }
.psi .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.psi .value { text-align: right; font-variant-numeric: tabular-nums; }
.track { position: relative; height: 12px; background: var(--bg); border-radius: 3px; }
.bar { position: absolute; left: 0; top: 0; bottom: 0; border-radius: 3px; min-width: 1px; }
.bar.stable { background: var(--stable); }
.bar.moderate { background: var(--moderate); }
.bar.significant { background: var(--significant); }
.limit { position: absolute; top: -3px; bottom: -3px; width: 0; border-left: 2px dashed; }
.limit.moderate { border-color: var(--moderate); }
.limit.significant { border-color: var(--significant); }
table { border-collapse: collapse; width: 100%; font-size: 12px; }
th, td { text-align: left; padding: 3px 6px 3px 0; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
.table-wrap { max-width: 100%; overflow-x: auto; }
.status-failed { color: var(--retrain); }
.status-succeeded { color: var(--ok); }
`;
