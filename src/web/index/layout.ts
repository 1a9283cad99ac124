/** The frame every index page shares: head, navigation, footer. Pages pass escaped HTML in. */
import { esc } from './format.ts';

export type Section = 'search' | 'stats' | 'api';

export function layout(title: string, section: Section, body: string, head = ''): string {
  const nav = (href: string, name: string, which: Section): string => `<a href="${href}"${which === section ? ' aria-current="page"' : ''}>${name}</a>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · btdht index</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/index.css">
<link rel="alternate" type="application/rss+xml" title="New torrents" href="/rss">
${head}
</head>
<body>
<header><a class="brand" href="/">btdht index</a><nav>${nav('/', 'Search', 'search')}${nav('/stats', 'Statistics', 'stats')}${nav('/api', 'API', 'api')}<a href="/rss">RSS</a></nav></header>
<main>
${body}
</main>
<footer>Torrents found in the BitTorrent DHT by btdht crawl. Names are shown as their uploaders wrote them.</footer>
</body>
</html>
`;
}

export function errorPage(status: number, message: string): string {
  return layout(`Error ${status}`, 'search', `<h1>Error ${status}</h1><p class="error">${esc(message)}</p><p><a href="/">Back to search</a></p>`);
}
