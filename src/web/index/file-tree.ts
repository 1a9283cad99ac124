/**
 * A torrent's file list as a tree of folders, for its page. Paths are hostile
 * text: they are only ever split on '/', never resolved. Bounded: past
 * MAX_SHOWN files the rest is counted, not drawn.
 */
import type { TorrentFile } from '../../crawl/metadata/types.ts';
import { esc, formatCount, formatSize } from './format.ts';

export const MAX_SHOWN = 2_000;

interface Folder {
  folders: Map<string, Folder>;
  files: { name: string; length: number }[];
  size: number;
  count: number;
}

const folder = (): Folder => ({ folders: new Map(), files: [], size: 0, count: 0 });

export function buildTree(files: readonly TorrentFile[]): Folder {
  const root = folder();
  for (const file of files.slice(0, MAX_SHOWN)) {
    const parts = file.path.split('/');
    const name = parts.pop() ?? '';
    let at = root;
    at.size += file.length;
    at.count++;
    for (const part of parts) {
      let next = at.folders.get(part);
      if (next === undefined) at.folders.set(part, (next = folder()));
      at = next;
      at.size += file.length;
      at.count++;
    }
    at.files.push({ name, length: file.length });
  }
  return root;
}

function render(at: Folder, depth: number): string {
  const items: string[] = [];
  for (const [name, sub] of at.folders) {
    items.push(
      `<li class="folder"><details${depth < 2 ? ' open' : ''}><summary>${esc(name)}/ <span class="size">${esc(formatSize(sub.size))} · ${formatCount(sub.count)} files</span></summary>${render(sub, depth + 1)}</details></li>`,
    );
  }
  for (const file of at.files) items.push(`<li class="file">${esc(file.name)} <span class="size">${esc(formatSize(file.length))}</span></li>`);
  return `<ul>${items.join('')}</ul>`;
}

export function fileTreeHtml(files: readonly TorrentFile[]): string {
  const more = files.length - MAX_SHOWN;
  return `<div class="tree">${render(buildTree(files), 0)}</div>${more > 0 ? `<p class="note">and ${formatCount(more)} more files not shown</p>` : ''}`;
}
