/**
 * Synthetic torrents shaped like those a DHT crawl finds: release-style names
 * (title words, year, resolution, codec, group) for video, "Artist - Album"
 * for audio, versioned software, books; a few files each, in folders, most
 * bytes in one kind. Words follow a Zipf law over a fixed vocabulary, so a
 * few words are in a large share of names (common) and most are in few
 * (rare), as in real names. Seeded: the same data every run.
 */
import type { TorrentRecord } from '../../src/crawl/store/types.ts';

/** mulberry32: small, fast, seeded. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = ['ka', 'ro', 'mi', 'ta', 'ne', 'lo', 'su', 'va', 'ri', 'den', 'mar', 'tel', 'shi', 'gor', 'an', 'bel', 'cor', 'dus', 'el', 'fin', 'gal', 'hor', 'ix', 'jun', 'kel', 'lum', 'nor', 'pax', 'qui', 'sol', 'tor', 'ul', 'ven', 'wyn', 'xan', 'yor', 'zed'];
export const VOCABULARY_SIZE = 60_000;

/** The vocabulary: word i is more frequent than word i+1 (Zipf, s = 1). */
export function vocabulary(): string[] {
  const random = prng(7);
  const words = new Set<string>();
  while (words.size < VOCABULARY_SIZE) {
    const n = 2 + Math.floor(random() * 3);
    let w = '';
    for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    words.add(w);
  }
  return [...words];
}

/** Zipf sampler over ranks 0..n-1 by inverse CDF on a precomputed table. */
function zipf(n: number, random: () => number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += 1 / (i + 1);
  return () => {
    const x = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

const RES = ['1080p', '720p', '2160p', '480p'];
const SOURCE = ['WEB-DL', 'BluRay', 'WEBRip', 'HDTV', 'DVDRip'];
const CODEC = ['x264', 'x265', 'H264', 'HEVC', 'AV1'];
const AUDIO = ['FLAC', 'MP3 320', 'MP3 V0', 'AAC'];
const GROUPS = ['NTb', 'FLUX', 'RARBG', 'YTS', 'SPARKS', 'GalaxyRG', 'EVO', 'TGx', 'ION10', 'PSA'];

export interface Generator {
  torrent(n: number, at: number): TorrentRecord;
  words: string[];
}

export function generator(seed: number): Generator {
  const words = vocabulary();
  const random = prng(seed);
  const word = zipf(words.length, random);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const title = (k: number): string[] => Array.from({ length: k }, () => words[word()]!);
  const cap = (w: string): string => w[0]!.toUpperCase() + w.slice(1);
  const year = (): number => 1960 + Math.floor(random() * 66);
  const hex = (n: number): string => {
    // A distinct 40-hex infohash per n, scattered like SHA-1.
    let h = '';
    let x = n * 2654435761 + 0x9e3779b9;
    for (let i = 0; i < 5; i++) {
      x = Math.imul(x ^ (x >>> 16), 0x45d9f3b) >>> 0;
      h += x.toString(16).padStart(8, '0');
    }
    return h;
  };
  return {
    words,
    torrent(n: number, at: number): TorrentRecord {
      const r = random();
      let name: string;
      let files: { path: string; length: number }[];
      if (r < 0.55) {
        const t = title(1 + Math.floor(random() * 4)).map(cap);
        name = [...t, String(year()), pick(RES), pick(SOURCE), pick(CODEC)].join('.') + `-${pick(GROUPS)}`;
        const series = random() < 0.3;
        const episodes = series ? 4 + Math.floor(random() * 10) : 1;
        files = Array.from({ length: episodes }, (_, e) => ({ path: `${name}/${t.join('.')}.${series ? `S01E${String(e + 1).padStart(2, '0')}.` : ''}${pick(RES)}.mkv`, length: 200_000_000 + Math.floor(random() * 4e9) }));
        if (random() < 0.5) files.push({ path: `${name}/Subs/English.srt`, length: 40_000 + Math.floor(random() * 50_000) });
      } else if (r < 0.75) {
        const artist = title(1 + Math.floor(random() * 2)).map(cap).join(' ');
        const album = title(1 + Math.floor(random() * 3)).map(cap).join(' ');
        const format = pick(AUDIO);
        name = `${artist} - ${album} (${year()}) [${format}]`;
        const ext = format === 'FLAC' ? 'flac' : format === 'AAC' ? 'm4a' : 'mp3';
        const tracks = 6 + Math.floor(random() * 12);
        files = Array.from({ length: tracks }, (_, i) => ({ path: `${String(i + 1).padStart(2, '0')} ${title(1 + Math.floor(random() * 3)).map(cap).join(' ')}.${ext}`, length: 3_000_000 + Math.floor(random() * 40_000_000) }));
        files.push({ path: 'cover.jpg', length: 300_000 });
      } else if (r < 0.88) {
        const product = title(1 + Math.floor(random() * 2)).map(cap).join('.');
        name = `${product}.v${1 + Math.floor(random() * 20)}.${Math.floor(random() * 10)}.${Math.floor(random() * 100)}.x64-${pick(GROUPS)}`;
        files = [
          { path: `${name}/setup.exe`, length: 50_000_000 + Math.floor(random() * 2e9) },
          { path: `${name}/readme.nfo`, length: 4_000 },
        ];
      } else {
        const author = title(2).map(cap).join(' ');
        const book = title(2 + Math.floor(random() * 4)).map(cap).join(' ');
        name = `${author} - ${book} (${year()})`;
        files = [{ path: `${author} - ${book}.${pick(['epub', 'pdf', 'mobi'])}`, length: 500_000 + Math.floor(random() * 30_000_000) }];
      }
      const size = files.reduce((s, f) => s + f.length, 0);
      return { infohash: hex(n), name, size, files, fetchedAt: at, peer: { host: '10.0.0.1', port: 6881 } };
    },
  };
}
