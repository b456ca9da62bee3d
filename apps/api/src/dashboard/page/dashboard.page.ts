/**
 * The dashboard's page: a frame the script fills from `dashboard/data`. It holds no data, so it
 * is the same for every caller. Paths are relative (`dashboard/…` from `/dashboard`), so the
 * page also works behind a proxy that serves the service under a prefix.
 */
export const DASHBOARD_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mle-service dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="dashboard/assets/uPlot.min.css">
<link rel="stylesheet" href="dashboard/assets/dashboard.css">
<script src="dashboard/assets/uPlot.iife.min.js" defer></script>
<script src="dashboard/assets/dashboard.js" defer></script>
</head>
<body data-state="loading">
<header class="top">
  <h1>mle-service</h1>
  <p class="meta"><span id="view"></span> <span id="updated" aria-live="polite">loading…</span></p>
</header>
<p id="error" class="error" role="alert" hidden></p>
<main id="models"></main>
<noscript><p class="error">The dashboard needs JavaScript; GET dashboard/data has the same figures as JSON.</p></noscript>
</body>
</html>
`;
