/**
 * RSS 2.0 of the newest torrents, and Torznab (the RSS dialect indexer
 * managers speak: Prowlarr, Jackett, Sonarr, Radarr). Every text is XML-escaped
 * and stripped of what XML cannot carry.
 */
import type { TorrentKind } from '../../crawl/store/kind.ts';
import { magnetLink, xmlText } from './format.ts';
import type { TorrentSummary } from './reader.ts';

/** Torznab's standard categories, as far as a torrent's kind tells. */
export const TORZNAB_CATEGORIES: { id: number; name: string; kinds: TorrentKind[] }[] = [
  { id: 2000, name: 'Movies', kinds: ['video'] },
  { id: 3000, name: 'Audio', kinds: ['audio'] },
  { id: 4000, name: 'PC', kinds: ['software'] },
  { id: 7000, name: 'Books', kinds: ['document'] },
  { id: 8000, name: 'Other', kinds: ['image', 'archive', 'other'] },
];

export function categoryOf(kind: TorrentKind): number {
  return TORZNAB_CATEGORIES.find((c) => c.kinds.includes(kind))?.id ?? 8000;
}

/** The kinds a `cat` list asks for (subcategories by their thousand); undefined when it names none we hold. */
export function kindsOfCategories(cats: number[]): TorrentKind[] | undefined {
  const kinds = new Set<TorrentKind>();
  for (const cat of cats) for (const c of TORZNAB_CATEGORIES) if (Math.floor(cat / 1000) * 1000 === c.id) for (const k of c.kinds) kinds.add(k);
  return kinds.size === 0 ? undefined : [...kinds];
}

function item(t: TorrentSummary, origin: string, torznab: boolean): string {
  const link = `${origin}/torrent/${t.infohash}`;
  const magnet = xmlText(magnetLink(t));
  const attrs = torznab
    ? [
        ['category', String(categoryOf(t.kind))],
        ['size', String(t.size)],
        ['files', String(t.fileCount)],
        ['infohash', t.infohash],
        ['magneturl', magnet],
        ...(t.seeders !== null ? [['seeders', String(t.seeders)], ['peers', String(t.seeders + (t.leechers ?? 0))], ['leechers', String(t.leechers ?? 0)]] : []),
      ]
        .map(([name, value]) => `<torznab:attr name="${name}" value="${value}"/>`)
        .join('')
    : '';
  return `<item><title>${xmlText(t.name)}</title><guid isPermaLink="true">${xmlText(link)}</guid><link>${xmlText(link)}</link><comments>${xmlText(link)}</comments><pubDate>${new Date(t.fetchedAt).toUTCString()}</pubDate>${
    torznab ? `<size>${t.size}</size><category>${categoryOf(t.kind)}</category>` : `<description>${xmlText(`${t.kind}, ${t.fileCount} files, ${t.size} bytes`)}</description>`
  }<enclosure url="${magnet}" length="${t.size}" type="application/x-bittorrent"/>${attrs}</item>`;
}

export function rssFeed(torrents: TorrentSummary[], origin: string, title: string, torznab = false, offset = 0, total = torrents.length): string {
  const ns = torznab ? ' xmlns:torznab="http://torznab.com/schemas/2015/feed"' : '';
  const response = torznab ? `<torznab:response offset="${offset}" total="${total}"/>` : '';
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"${ns}>
<channel><title>${xmlText(title)}</title><link>${xmlText(origin)}/</link><description>Torrents found in the BitTorrent DHT by btdht crawl</description><language>en</language>${response}
${torrents.map((t) => item(t, origin, torznab)).join('\n')}
</channel>
</rss>
`;
}

export function torznabCaps(maxLimit: number, defaultLimit: number): string {
  const search = 'available="yes" supportedParams="q"';
  return `<?xml version="1.0" encoding="UTF-8"?>
<caps>
<server version="1.0" title="btdht index"/>
<limits max="${maxLimit}" default="${defaultLimit}"/>
<searching><search ${search}/><tv-search ${search}/><movie-search ${search}/><music-search ${search}/><audio-search ${search}/><book-search ${search}/></searching>
<categories>${TORZNAB_CATEGORIES.map((c) => `<category id="${c.id}" name="${c.name}"/>`).join('')}</categories>
</caps>
`;
}

/** Torznab's error document (code 100-203 as the spec numbers them). */
export function torznabError(code: number, description: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<error code="${code}" description="${xmlText(description)}"/>\n`;
}
